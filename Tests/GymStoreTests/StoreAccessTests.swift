import Foundation
import GRDB
import GymCore
import Testing
@testable import GymStore

/// Opening databases that are not ours, are read-only, or were left by killed runs.
@Suite struct StoreAccessTests {
    func tables(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
    }

    @Test func readOnlyStoresNeverCreateOrAlterFiles() throws {
        let missing = temporaryDatabasePath()
        #expect(throws: StoreError.noDatabase(missing)) { try TrajectoryStore(path: missing, access: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: missing))
        // Somebody else's SQLite file: refused by both kinds of store, and left exactly as it was.
        let foreign = temporaryDatabasePath()
        try FileManager.default.createDirectory(atPath: (foreign as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DatabaseQueue(path: foreign).write { db in try db.execute(sql: "CREATE TABLE recipes (name TEXT)") }
        for access in [TrajectoryStore.Access.readOnly, .readWrite] {
            #expect(throws: StoreError.notDesignGym(path: foreign, tables: ["recipes"])) { try TrajectoryStore(path: foreign, access: access) }
        }
        #expect(try tables(foreign) == ["recipes"])
    }

    @Test func aReadOnlyFileIsReadAndAStoreOpenedReadOnlyRefusesToWrite() throws {
        let path = temporaryDatabasePath()
        let store = try TrajectoryStore(path: path)
        let id = try store.createExperiment(fixtureRecord())
        try store.insertTrials([fixtureTrial(0), fixtureTrial(1)], experiment: id)
        store.close()
        chmod(path, 0o444)
        defer { chmod(path, 0o644) }
        let reader = try TrajectoryStore(path: path, access: .readOnly)
        #expect(try reader.trialCount(experiment: id) == 2)
        #expect(throws: StoreError.readOnly(path)) { try reader.insertTrials([fixtureTrial(2)], experiment: id) }
    }

    @Test func closingFoldsTheLogIntoTheFileSoACopyHoldsEveryTrial() throws {
        let path = temporaryDatabasePath()
        let store = try TrajectoryStore(path: path)
        let id = try store.createExperiment(fixtureRecord())
        try store.insertTrials((0..<50).map { fixtureTrial($0) }, experiment: id)
        // A reader keeps the log from being folded in on its own, as `gym show` running alongside would.
        let other = try TrajectoryStore(path: path, access: .readOnly)
        _ = try other.trialCount(experiment: id)
        store.close()
        let copy = temporaryDatabasePath()
        try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path, toPath: copy)  // the file alone, without its -wal
        #expect(try TrajectoryStore(path: copy, access: .readOnly).trialCount(experiment: id) == 50)
        store.close()  // a second close does nothing
    }

    @Test func anExperimentWhoseProcessIsGoneIsStale() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let id = try store.createExperiment(fixtureRecord())
        // This process runs it on this machine: running, not stale.
        try store.writing { db in try db.execute(sql: "UPDATE experiments SET host = ? WHERE id = ?", arguments: [ProcessInfo.processInfo.hostName, id]) }
        #expect(try store.experiment(id).process == ProcessIdentity.current)
        #expect(try store.experiment(id).shownStatus == "running")
        // A process that has exited.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        try store.writing { db in
            try db.execute(sql: "UPDATE experiments SET process = ?, host = ? WHERE id = ?",
                           arguments: ["\(child.processIdentifier) 1", ProcessInfo.processInfo.hostName, id])
        }
        #expect(try store.experiment(id).isStale)
        #expect(try store.experiment(id).shownStatus == "stale")
        // On another machine, the record is taken at its word.
        try store.writing { db in try db.execute(sql: "UPDATE experiments SET host = 'elsewhere' WHERE id = ?", arguments: [id]) }
        #expect(try store.experiment(id).shownStatus == "running")
        // A finished experiment is never stale, and a resume makes it this process's again.
        try store.finishExperiment(id, status: .interrupted, elapsed: 1)
        #expect(try store.experiment(id).shownStatus == "interrupted")
        try store.reopenExperiment(id)
        #expect(try store.experiment(id).shownStatus == "running")
    }
}
