import Foundation
import GRDB
import GymCore
import Testing
@testable import GymStore

/// The same behaviour holds for the file store and its in-memory twin.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case file, memory
    var testDescription: String { rawValue }

    func open() throws -> TrajectoryStore {
        self == .file ? try TrajectoryStore(path: temporaryDatabasePath()) : try TrajectoryStore()
    }
}

@Suite struct StoreTests {
    @Test(arguments: Backend.allCases) func migratesAnEmptyDatabaseToTheCurrentSchema(_ backend: Backend) throws {
        let store = try backend.open()
        #expect(try store.schemaVersion() == 2)
        #expect(try store.appliedMigrations() == ["v1-experiments-trials-cache", "v2-experiment-process-driver"])
        #expect(try store.experiments().isEmpty)
    }

    @Test func reopeningAFileDatabaseKeepsItsContentsAndSchema() throws {
        let path = temporaryDatabasePath()
        let id = try TrajectoryStore(path: path).createExperiment(fixtureRecord())
        let reopened = try TrajectoryStore(path: path)
        #expect(try reopened.experiment(id).name == "fixture")
        #expect(try reopened.appliedMigrations().count == 2)
    }

    @Test func fileDatabasesUseWriteAheadLogging() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let mode = try store.database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func aDatabaseFromANewerSchemaIsRefused() throws {
        let path = temporaryDatabasePath()
        _ = try TrajectoryStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE schema_info SET version = 99") }
        #expect(throws: StoreError.newerSchema(found: 99, supported: 2)) { try TrajectoryStore(path: path) }
        #expect(throws: StoreError.newerSchema(found: 99, supported: 2)) { try TrajectoryStore(path: path, access: .readOnly) }
    }

    @Test(arguments: Backend.allCases) func experimentsRoundTrip(_ backend: Backend) throws {
        let store = try backend.open()
        let record = fixtureRecord(seed: UInt64.max)  // seeds use all 64 bits
        let id = try store.createExperiment(record)
        var read = try store.experiment(id)
        #expect(read.id == id)
        read.id = nil
        // Dates keep millisecond precision.
        #expect(abs(read.createdAt.timeIntervalSince(record.createdAt)) < 0.001)
        read.createdAt = record.createdAt
        read.updatedAt = record.updatedAt
        #expect(read == record)
        #expect(try store.experiments(environment: "Fixture").count == 1)
        #expect(try store.experiments(environment: "Fixture-v2").count == 1)
        #expect(try store.experiments(environment: "Other-v0").isEmpty)
        #expect(throws: StoreError.unknownExperiment(999)) { try store.experiment(999) }
    }

    @Test(arguments: Backend.allCases) func trialsRoundTripInNumberOrder(_ backend: Backend) throws {
        let store = try backend.open()
        let id = try store.createExperiment(fixtureRecord())
        let trials = [fixtureTrial(2), fixtureTrial(0), fixtureTrial(1, status: .infeasible)]
        try store.insertTrials(trials, experiment: id)
        let read = try store.trials(experiment: id)
        #expect(read.map(\.number) == [0, 1, 2])
        for trial in read {
            var expected = trials.first { $0.number == trial.number }!
            expected.experimentID = id
            #expect(trial == expected)
        }
        #expect(try store.trials(experiment: id, statuses: [.infeasible]).map(\.number) == [1])
        #expect(try store.trialCount(experiment: id) == 3)
    }

    @Test func aTrialNumberCannotBeStoredTwice() throws {
        let store = try TrajectoryStore()
        let id = try store.createExperiment(fixtureRecord())
        try store.insertTrials([fixtureTrial(0)], experiment: id)
        // SQLite's error, with the file named (":memory:" here).
        #expect { try store.insertTrials([fixtureTrial(0)], experiment: id) } throws: { error in
            guard case StoreError.sqlite(let path, let message) = error else { return false }
            return path == ":memory:" && message.contains("UNIQUE constraint failed")
        }
        #expect(try store.trialCount(experiment: id) == 1)
    }

    @Test(arguments: Backend.allCases) func checkpointsAreSavedWithTheirTrials(_ backend: Backend) throws {
        let store = try backend.open()
        let id = try store.createExperiment(fixtureRecord())
        #expect(try store.checkpoint(experiment: id) == nil)
        let checkpoint = AgentCheckpoint(state: Data("state-1".utf8), observedTrials: 2)
        try store.insertTrials([fixtureTrial(0), fixtureTrial(1)], experiment: id, checkpoint: checkpoint)
        #expect(try store.checkpoint(experiment: id) == checkpoint)
    }

    @Test func finishingRecordsStatusErrorAndTime() throws {
        let store = try TrajectoryStore()
        let id = try store.createExperiment(fixtureRecord())
        try store.finishExperiment(id, status: .failed, error: "boom", elapsed: 1.5)
        try store.reopenExperiment(id)
        try store.finishExperiment(id, status: .completed, elapsed: 2)
        let record = try store.experiment(id)
        #expect(record.status == .completed)
        #expect(record.elapsedSeconds == 3.5)  // 1.5 + 0 + 2 over three sessions
        #expect(record.finishedAt != nil)
        #expect(throws: StoreError.unknownExperiment(42)) { try store.finishExperiment(42, status: .completed, elapsed: 0) }
    }
}

@Suite struct CacheTests {
    @Test func aCachedEvaluationIsFoundOnlyUnderTheSameConfiguration() throws {
        let store = try TrajectoryStore()
        let design = fixtureTrial(0).design
        let options = EnvironmentOptions(workload: "w1", seed: 3, values: ["device": "a.json"])
        let key = CacheKey(spec: fixtureSpec, options: options, design: design)
        #expect(try store.cachedEvaluation(key) == nil)
        let evaluation = Evaluation(metrics: ["latency": 12, "power": 3], wallTime: 0.5)
        try store.cacheEvaluations([(key: key, design: design, evaluation: evaluation)])
        #expect(try store.cachedEvaluation(key) == evaluation)

        // A deterministic environment's cache ignores the seed, but not the other options or the design.
        #expect(try store.cachedEvaluation(CacheKey(spec: fixtureSpec, options: EnvironmentOptions(workload: "w1", seed: 99, values: ["device": "a.json"]), design: design)) == evaluation)
        #expect(try store.cachedEvaluation(CacheKey(spec: fixtureSpec, options: EnvironmentOptions(workload: "w1", seed: 3, values: ["device": "b.json"]), design: design)) == nil)
        #expect(try store.cachedEvaluation(CacheKey(spec: fixtureSpec, options: options, design: fixtureTrial(1).design)) == nil)
        var stochastic = fixtureSpec
        stochastic.isDeterministic = false
        #expect(CacheKey(spec: stochastic, options: options, design: design)
                != CacheKey(spec: stochastic, options: EnvironmentOptions(workload: "w1", seed: 4, values: ["device": "a.json"]), design: design))
    }

    @Test func failedEvaluationsAreNotCachedAndFirstEntriesAreKept() throws {
        let store = try TrajectoryStore()
        let design = fixtureTrial(0).design
        let key = CacheKey(spec: fixtureSpec, options: EnvironmentOptions(), design: design)
        try store.cacheEvaluations([(key: key, design: design, evaluation: .unsuccessful(.failed, message: "transient"))])
        #expect(try store.cachedEvaluation(key) == nil)
        try store.cacheEvaluations([(key: key, design: design, evaluation: Evaluation(metrics: ["latency": 1, "power": 1]))])
        try store.cacheEvaluations([(key: key, design: design, evaluation: Evaluation(metrics: ["latency": 2, "power": 2]))])
        #expect(try store.cachedEvaluation(key)?.metrics["latency"] == 1)
        #expect(try store.cacheSize() == 1)
    }
}

@Suite struct TrialWriterTests {
    @Test func committedTrialsAreReportedAndReadable() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let id = try store.createExperiment(fixtureRecord())
        let seen = Counter()
        let writer = TrialWriter(store: store, experimentID: id) { seen.add($0.count) }
        for number in 0..<200 { writer.submit([fixtureTrial(number)]) }
        writer.submit(AgentCheckpoint(state: Data([1, 2, 3]), observedTrials: 200))
        try writer.close()
        #expect(seen.value == 200)
        #expect(try store.trialCount(experiment: id) == 200)
        #expect(try store.checkpoint(experiment: id)?.observedTrials == 200)
    }

    @Test func aWriteErrorIsRethrownByFlush() throws {
        let store = try TrajectoryStore()
        let id = try store.createExperiment(fixtureRecord())
        let writer = TrialWriter(store: store, experimentID: id)
        writer.submit([fixtureTrial(0)])
        writer.submit([fixtureTrial(0)])  // duplicate number
        #expect(throws: StoreError.self) { try writer.flush() }
        try? writer.close()
        #expect(try store.trialCount(experiment: id) == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ amount: Int) {
        lock.lock()
        count += amount
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
