import Foundation
import GRDB
import GymCatalog
import GymCore
import Testing
@testable import Experiments
@testable import GymStore

/// A database that fills up in the middle of a run (SQLite error 13, SQLITE_FULL).
@Suite struct FullDiskTests {
    /// Caps the database at its current size plus `pages` pages, as a full disk would.
    func fill(_ store: TrajectoryStore, leaving pages: Int) throws {
        try store.database.writeWithoutTransaction { db in
            let used = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(used + pages)")
        }
    }

    @Test func aResumeAfterAFullDiskEvaluatesEveryTrialThatWasNotStored() throws {
        // A bayesian run of Branin (it checkpoints a growing state), batches of 3 with 2 at once.
        let configuration = ExperimentConfiguration(environmentID: "Branin-v0", agentID: "genetic", seed: 5,
                                                    budget: Budget(evaluations: 120), batchSize: 3, parallelism: 2, usesCache: false)
        let (_, reference) = try run(configuration)

        let path = temporaryDatabasePath()
        let store = try TrajectoryStore(path: path)
        try fill(store, leaving: 6)
        let runner = ExperimentRunner(registry: Catalog.registry, store: store)
        #expect { try runner.run(configuration) } throws: { "\($0)".contains("13") || "\($0)".lowercased().contains("full") }
        let stored = try store.trials(experiment: 1)
        #expect(stored.count < 120, "the disk filled after \(stored.count) trials")
        // Whatever was stored, the checkpoint never counts past it.
        let checkpointed = try store.checkpoint(experiment: 1)?.observedTrials ?? 0
        #expect(Set(stored.map(\.number)).isSuperset(of: 0..<checkpointed))

        // Space again: the resume ends with every trial, each exactly as an uninterrupted run has it.
        try store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
        let summary = try ExperimentRunner(registry: Catalog.registry, store: store).resume(1)
        #expect(summary.status == .completed)
        let resumed = try store.trials(experiment: 1).map(TrialFingerprint.init)
        #expect(resumed.map(\.number) == Array(0..<120))
        #expect(resumed == reference)
    }

    @Test func aResumeWhoseCheckpointIsAheadOfItsTrialsReplaysTheAgent() throws {
        // The state an older writer could leave: the checkpoint stored, one trial before it not.
        let configuration = ExperimentConfiguration(environmentID: "Branin-v0", agentID: "random", seed: 9,
                                                    budget: Budget(evaluations: 30), batchSize: 5, usesCache: false)
        let (_, reference) = try run(configuration)
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        _ = try ExperimentRunner(registry: Catalog.registry, store: store).run(configuration)
        try store.database.write { db in
            try db.execute(sql: "DELETE FROM trials WHERE experiment_id = 1 AND number = 12")
            try db.execute(sql: "UPDATE experiments SET status = 'interrupted' WHERE id = 1")
        }
        _ = try ExperimentRunner(registry: Catalog.registry, store: store).resume(1)
        let resumed = try store.trials(experiment: 1).map(TrialFingerprint.init)
        #expect(resumed.map(\.number) == Array(0..<30))
        #expect(resumed == reference)
    }
}
