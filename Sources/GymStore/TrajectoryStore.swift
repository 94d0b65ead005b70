import Foundation
import GRDB
import GymCore

/// The SQLite trajectory store: experiments, trials and the evaluation cache. It is the only code that
/// touches the database.
///
/// A file database runs in WAL mode, so `gym show` can read while `gym run` writes, and a killed run
/// loses no committed trial. Closing the store folds the WAL into the database file, so a copy of the
/// file holds everything. A store opened read-only never writes: it neither creates the file nor its
/// schema, and it works on read-only files. The in-memory store runs the same schema and code, for tests.
public final class TrajectoryStore: @unchecked Sendable {
    /// Whether a store may write.
    public enum Access: Sendable {
        /// Creates the file and its schema when missing, and migrates older schemas.
        case readWrite
        /// Reads an existing DesignGym database and never writes to it.
        case readOnly
    }

    /// The database file, or nil for an in-memory store.
    public let path: String?
    /// How it was opened.
    public let access: Access
    let database: any DatabaseWriter
    private let closeLock = NSLock()
    private var closed = false

    /// Opens the database at `path`. Read-write, the file (with its folder) is created if needed and
    /// migrated to the current schema; a file that holds other tables and no DesignGym schema is refused.
    /// Read-only, the file must exist and be a DesignGym database.
    public init(path: String, access: Access = .readWrite) throws {
        self.path = path
        self.access = access
        do {
            switch access {
            case .readWrite:
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                // A file that is there already is looked at read-only first: opening it for writing would
                // switch it to WAL mode, changing somebody else's file before it could be refused.
                if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0 {
                    var look = Configuration()
                    look.readonly = true
                    try Schema.requireDesignGym(try DatabaseQueue(path: path, configuration: look), path: path, allowingEmpty: true)
                }
                var configuration = Configuration()
                configuration.busyMode = .timeout(30)
                configuration.prepareDatabase { db in
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
                database = try DatabasePool(path: path, configuration: configuration)
                try Schema.requireDesignGym(database, path: path, allowingEmpty: true)
                try Schema.migrate(database)
            case .readOnly:
                guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noDatabase(path) }
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .timeout(30)
                database = try DatabaseQueue(path: path, configuration: configuration)
                try Schema.requireDesignGym(database, path: path, allowingEmpty: false)
                try Schema.requireReadable(database)
            }
        } catch let error as DatabaseError {
            throw StoreError.sqlite(path: path, message: error.description)
        }
    }

    /// An empty in-memory store with the same schema.
    public init() throws {
        self.path = nil
        self.access = .readWrite
        self.database = try DatabaseQueue()
        try Schema.migrate(database)
    }

    deinit { close() }

    /// Folds the write-ahead log into the database file (so the file alone holds every trial) and ends
    /// writing. Safe to call more than once; later calls do nothing.
    public func close() {
        closeLock.lock()
        defer { closeLock.unlock() }
        guard !closed else { return }
        closed = true
        guard access == .readWrite, path != nil, let pool = database as? DatabasePool else { return }
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Reads, naming the file in any SQLite error.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch let error as DatabaseError {
            throw StoreError.sqlite(path: path ?? ":memory:", message: error.description)
        }
    }

    /// Writes in one transaction, naming the file in any SQLite error.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        guard access == .readWrite else { throw StoreError.readOnly(path ?? ":memory:") }
        do {
            return try database.write(body)
        } catch let error as DatabaseError {
            throw StoreError.sqlite(path: path ?? ":memory:", message: error.description)
        }
    }

    /// The schema version recorded in the database.
    public func schemaVersion() throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT version FROM schema_info") ?? 0 }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try reading { db in try Schema.migrator.appliedMigrations(db) }
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
