import Foundation
import GRDB
import GymCore

extension TrajectoryStore {
    /// The cached evaluation for `key`, if the design was evaluated before under the same configuration.
    public func cachedEvaluation(_ key: CacheKey) throws -> Evaluation? {
        try reading { db in
            guard let text = try String.fetchOne(db, sql: """
                SELECT evaluation FROM evaluation_cache
                WHERE environment_id = ? AND workload = ? AND configuration_hash = ? AND design_hash = ?
                """, arguments: [key.environmentID, key.workload, key.configurationHash, key.designHash]) else { return nil }
            return try StoredJSON.value(Evaluation.self, from: text, what: "cached evaluation")
        }
    }

    /// Caches evaluations (only `ok` and `infeasible` ones: failures may be transient). Existing entries are kept.
    public func cacheEvaluations(_ entries: [(key: CacheKey, design: Design, evaluation: Evaluation)]) throws {
        try writing { db in try Self.cache(entries, in: db) }
    }

    /// How many evaluations the cache holds.
    public func cacheSize() throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM evaluation_cache") ?? 0 }
    }

    static func cache(_ entries: [(key: CacheKey, design: Design, evaluation: Evaluation)], in db: Database) throws {
        let now = StoredDate.text(Date())
        for entry in entries where entry.evaluation.status == .ok || entry.evaluation.status == .infeasible {
            try db.execute(sql: """
                INSERT OR IGNORE INTO evaluation_cache
                    (environment_id, workload, configuration_hash, design_hash, design, evaluation, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.key.environmentID, entry.key.workload, entry.key.configurationHash,
                                 entry.key.designHash, entry.design.canonicalJSON, try StoredJSON.text(entry.evaluation), now])
        }
    }
}
