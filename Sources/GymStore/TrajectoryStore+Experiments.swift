import Foundation
import GRDB
import GymCore

extension TrajectoryStore {
    /// Stores a new experiment and returns its id.
    public func createExperiment(_ record: ExperimentRecord) throws -> Int64 {
        try writing { db in
            try db.execute(sql: """
                INSERT INTO experiments (name, environment_id, environment_version, workload, environment_options,
                    environment_spec, objective, agent_id, agent_hyperparameters, seed, budget_evaluations, budget_seconds,
                    batch_size, parallelism, uses_cache, status, host, software_version, created_at, updated_at,
                    finished_at, elapsed_seconds, error, process, driver)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    record.name, record.environmentID, record.environmentSpec.version, record.workload,
                    try StoredJSON.text(record.environmentOptions), try StoredJSON.text(record.environmentSpec),
                    try StoredJSON.text(record.objective), record.agentID, try StoredJSON.text(record.hyperparameters),
                    String(record.seed), record.budgetEvaluations, record.budgetSeconds, record.batchSize,
                    record.parallelism, record.usesCache, record.status.rawValue, record.host, record.softwareVersion,
                    StoredDate.text(record.createdAt), StoredDate.text(record.updatedAt),
                    record.finishedAt.map(StoredDate.text), record.elapsedSeconds, record.error, record.process, record.driver.rawValue,
                ])
            return db.lastInsertedRowID
        }
    }

    /// The experiment `id`, or `StoreError.unknownExperiment`.
    public func experiment(_ id: Int64) throws -> ExperimentRecord {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM experiments WHERE id = ?", arguments: [id]) else {
                throw StoreError.unknownExperiment(id)
            }
            return try Self.record(row)
        }
    }

    /// Every experiment, oldest first, optionally only those of one environment (by versioned id or by name).
    public func experiments(environment: String? = nil) throws -> [ExperimentRecord] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM experiments ORDER BY id").map(Self.record)
                .filter { environment == nil || $0.environmentID == environment || $0.environmentSpec.name == environment }
        }
    }

    /// Sets an experiment's status (and error), adding `elapsed` seconds to its running time.
    public func finishExperiment(_ id: Int64, status: ExperimentStatus, error: String? = nil, elapsed: Double) throws {
        try writing { db in
            let now = StoredDate.text(Date())
            try db.execute(sql: """
                UPDATE experiments SET status = ?, error = ?, updated_at = ?, elapsed_seconds = elapsed_seconds + ?,
                    finished_at = CASE WHEN ? = 'running' THEN NULL ELSE ? END
                WHERE id = ?
                """, arguments: [status.rawValue, error, now, elapsed, status.rawValue, now, id])
            if db.changesCount == 0 { throw StoreError.unknownExperiment(id) }
        }
    }

    /// Marks an experiment as running again, in this process (for `--resume`).
    public func reopenExperiment(_ id: Int64) throws {
        try finishExperiment(id, status: .running, elapsed: 0)
        try writing { db in
            try db.execute(sql: "UPDATE experiments SET process = ? WHERE id = ?", arguments: [ProcessIdentity.current, id])
        }
    }

    /// The agent's latest checkpoint, if one was saved.
    public func checkpoint(experiment id: Int64) throws -> AgentCheckpoint? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT agent_checkpoint, checkpoint_trials FROM experiments WHERE id = ?",
                                             arguments: [id]) else { throw StoreError.unknownExperiment(id) }
            guard let state: Data = row["agent_checkpoint"] else { return nil }
            return AgentCheckpoint(state: state, observedTrials: row["checkpoint_trials"])
        }
    }

    static func saveCheckpoint(_ checkpoint: AgentCheckpoint, experiment id: Int64, in db: Database) throws {
        try db.execute(sql: "UPDATE experiments SET agent_checkpoint = ?, checkpoint_trials = ?, updated_at = ? WHERE id = ?",
                       arguments: [checkpoint.state, checkpoint.observedTrials, StoredDate.text(Date()), id])
    }

    static func record(_ row: Row) throws -> ExperimentRecord {
        let spec = try StoredJSON.value(EnvironmentSpec.self, from: row["environment_spec"], what: "environment spec")
        var record = ExperimentRecord(
            name: row["name"], environmentSpec: spec,
            environmentOptions: try StoredJSON.value(EnvironmentOptions.self, from: row["environment_options"], what: "options"),
            objective: try StoredJSON.value(Objective.self, from: row["objective"], what: "objective"),
            agentID: row["agent_id"],
            hyperparameters: try StoredJSON.value(Design.self, from: row["agent_hyperparameters"], what: "hyperparameters"),
            seed: UInt64(row["seed"] as String) ?? 0, budgetEvaluations: row["budget_evaluations"],
            budgetSeconds: row["budget_seconds"], batchSize: row["batch_size"], parallelism: row["parallelism"],
            usesCache: row["uses_cache"], host: row["host"], softwareVersion: row["software_version"])
        record.id = row["id"]
        record.environmentID = row["environment_id"]
        record.workload = row["workload"]
        record.status = ExperimentStatus(rawValue: row["status"]) ?? .failed
        record.createdAt = StoredDate.date(row["created_at"]) ?? Date(timeIntervalSince1970: 0)
        record.updatedAt = StoredDate.date(row["updated_at"]) ?? record.createdAt
        record.finishedAt = StoredDate.date(row["finished_at"])
        record.elapsedSeconds = row["elapsed_seconds"]
        record.error = row["error"]
        record.process = row.hasColumn("process") ? row["process"] : nil
        record.driver = row.hasColumn("driver") ? ExperimentDriver(rawValue: row["driver"]) ?? .run : .run
        return record
    }
}
