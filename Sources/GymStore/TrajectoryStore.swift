import Foundation
import GRDB
import GymCore

/// The SQLite trajectory store: experiments, trials and the evaluation cache. It is the only code that
/// touches the database.
///
/// A file database runs in WAL mode, so `gym show` can read while `gym run` writes, and a killed run
/// loses no committed trial. The in-memory store runs the same schema and code, for tests.
public final class TrajectoryStore: Sendable {
    /// The database file, or nil for an in-memory store.
    public let path: String?
    let database: any DatabaseWriter

    /// Opens (creating if needed, with its folder) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.path = path
        self.database = try DatabasePool(path: path, configuration: configuration)
        try Schema.migrate(database)
    }

    /// An empty in-memory store with the same schema.
    public init() throws {
        self.path = nil
        self.database = try DatabaseQueue()
        try Schema.migrate(database)
    }

    /// The schema version recorded in the database.
    public func schemaVersion() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT version FROM schema_info") ?? 0 }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try database.read { db in try Schema.migrator.appliedMigrations(db) }
    }
}

/// Dates are stored as ISO 8601 text with milliseconds, in UTC.
enum StoredDate {
    static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

/// JSON as stored: sorted keys, so equal values are equal text.
enum StoredJSON {
    static func text<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func value<Value: Decodable>(_ type: Value.Type, from text: String, what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError.corrupt("\(what): \(error)")
        }
    }
}
