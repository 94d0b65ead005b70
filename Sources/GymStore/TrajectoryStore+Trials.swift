import Foundation
import GRDB
import GymCore

extension TrajectoryStore {
    /// Stores finished trials of experiment `id` in one transaction (and the agent's checkpoint with them,
    /// if given). A trial number already stored is an error: numbers are never duplicated.
    public func insertTrials(_ trials: [Trial], experiment id: Int64, checkpoint: AgentCheckpoint? = nil) throws {
        try writing { db in
            try Self.insert(trials, experiment: id, in: db)
            if let checkpoint { try Self.saveCheckpoint(checkpoint, experiment: id, in: db) }
        }
    }

    static func insert(_ trials: [Trial], experiment id: Int64, in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO trials (experiment_id, number, design, design_hash, status, metrics, details, reward, rewards,
                wall_time, error, worker, cached, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for trial in trials {
            try statement.execute(arguments: [
                id, trial.number, trial.design.canonicalJSON, trial.design.hash, trial.evaluation.status.rawValue,
                try StoredJSON.text(trial.evaluation.metrics), try StoredJSON.text(trial.evaluation.details),
                trial.reward, try trial.rewards.map { try StoredJSON.text($0) }, trial.evaluation.wallTime,
                trial.evaluation.message, trial.worker, trial.cached, StoredDate.text(trial.startedAt),
                StoredDate.text(trial.finishedAt),
            ])
        }
    }

    /// The trials of experiment `id` in number order, optionally only those with the given statuses.
    public func trials(experiment id: Int64, statuses: Set<EvaluationStatus>? = nil) throws -> [Trial] {
        try reading { db in
            // JSON does not keep 0.0 apart from 0: designs are brought back to their space's canonical form.
            let space = try String.fetchOne(db, sql: "SELECT environment_spec FROM experiments WHERE id = ?", arguments: [id])
                .map { try StoredJSON.value(EnvironmentSpec.self, from: $0, what: "environment spec").space }
            return try Row.fetchAll(db, sql: "SELECT * FROM trials WHERE experiment_id = ? ORDER BY number", arguments: [id])
                .map(Self.trial)
                .filter { statuses?.contains($0.evaluation.status) ?? true }
                .map { trial in
                    var canonical = trial
                    if let space, let design = try? space.validate(trial.design) { canonical.design = design }
                    return canonical
                }
        }
    }

    /// How many trials experiment `id` has stored.
    public func trialCount(experiment id: Int64) throws -> Int {
        try reading { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trials WHERE experiment_id = ?", arguments: [id]) ?? 0
        }
    }

    static func trial(_ row: Row) throws -> Trial {
        let evaluation = Evaluation(
            status: EvaluationStatus(rawValue: row["status"]) ?? .failed,
            metrics: try StoredJSON.value([String: Double].self, from: row["metrics"], what: "metrics"),
            wallTime: row["wall_time"], message: row["error"],
            details: try StoredJSON.value([String: JSONValue].self, from: row["details"], what: "details"))
        let rewardsText: String? = row["rewards"]
        return Trial(
            experimentID: row["experiment_id"], number: row["number"],
            design: try StoredJSON.value(Design.self, from: row["design"], what: "design"), evaluation: evaluation,
            reward: row["reward"], rewards: try rewardsText.map { try StoredJSON.value([Double].self, from: $0, what: "rewards") },
            startedAt: StoredDate.date(row["started_at"]) ?? Date(timeIntervalSince1970: 0),
            finishedAt: StoredDate.date(row["finished_at"]) ?? Date(timeIntervalSince1970: 0),
            worker: row["worker"], cached: row["cached"])
    }
}
