import GRDB

/// The database schema: named, forward-only migrations and a one-row `schema_info` table holding the version.
enum Schema {
    /// The schema version this code writes and reads.
    static let currentVersion = 2
    /// The oldest schema this code reads without migrating (read-only stores).
    static let oldestReadable = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-experiments-trials-cache") { db in
            try db.execute(sql: """
                CREATE TABLE schema_info (version INTEGER NOT NULL);
                INSERT INTO schema_info (version) VALUES (1);

                CREATE TABLE experiments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT,
                    environment_id TEXT NOT NULL,
                    environment_version INTEGER NOT NULL,
                    workload TEXT NOT NULL,
                    environment_options TEXT NOT NULL,
                    environment_spec TEXT NOT NULL,
                    objective TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    agent_hyperparameters TEXT NOT NULL,
                    seed TEXT NOT NULL,
                    budget_evaluations INTEGER,
                    budget_seconds REAL,
                    batch_size INTEGER NOT NULL,
                    parallelism INTEGER NOT NULL,
                    uses_cache INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
                    host TEXT NOT NULL,
                    software_version TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    finished_at TEXT,
                    elapsed_seconds REAL NOT NULL DEFAULT 0,
                    error TEXT,
                    agent_checkpoint BLOB,
                    checkpoint_trials INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX experiments_environment ON experiments (environment_id);

                CREATE TABLE trials (
                    experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    design TEXT NOT NULL,
                    design_hash TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('ok', 'infeasible', 'failed', 'timeout')),
                    metrics TEXT NOT NULL,
                    details TEXT NOT NULL,
                    reward REAL,
                    rewards TEXT,
                    wall_time REAL NOT NULL,
                    error TEXT,
                    worker TEXT NOT NULL,
                    cached INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT NOT NULL,
                    PRIMARY KEY (experiment_id, number)
                );
                CREATE INDEX trials_design_hash ON trials (design_hash);

                CREATE TABLE evaluation_cache (
                    environment_id TEXT NOT NULL,
                    workload TEXT NOT NULL,
                    configuration_hash TEXT NOT NULL,
                    design_hash TEXT NOT NULL,
                    design TEXT NOT NULL,
                    evaluation TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (environment_id, workload, configuration_hash, design_hash)
                );
                """)
        }
        migrator.registerMigration("v2-experiment-process-driver") { db in
            // The process running an experiment, so a killed one shows as stale rather than running; and
            // what drove it: `gym run`'s loop, a client's session, or a study.
            try db.execute(sql: """
                ALTER TABLE experiments ADD COLUMN process TEXT;
                ALTER TABLE experiments ADD COLUMN driver TEXT NOT NULL DEFAULT 'run';
                UPDATE schema_info SET version = 2;
                """)
        }
        return migrator
    }

    /// Throws `notDesignGym` when the database holds tables but no DesignGym schema (or, unless
    /// `allowingEmpty`, nothing at all).
    static func requireDesignGym(_ reader: any DatabaseReader, path: String, allowingEmpty: Bool) throws {
        let tables = try reader.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        if tables.contains("schema_info") { return }
        if tables.isEmpty && allowingEmpty { return }
        throw StoreError.notDesignGym(path: path, tables: tables.isEmpty ? ["no tables"] : tables)
    }

    /// Throws unless a read-only store can read this schema version.
    static func requireReadable(_ reader: any DatabaseReader) throws {
        let found = try reader.read { db in try Int.fetchOne(db, sql: "SELECT version FROM schema_info") } ?? 0
        if found > currentVersion { throw StoreError.newerSchema(found: found, supported: currentVersion) }
        if found < oldestReadable { throw StoreError.corrupt("schema version \(found) is unknown") }
    }

    static func migrate(_ writer: any DatabaseWriter) throws {
        // Refuse a database written by a newer schema rather than misreading it.
        let found = try writer.read { db -> Int? in
            guard try db.tableExists("schema_info") else { return nil }
            return try Int.fetchOne(db, sql: "SELECT version FROM schema_info")
        }
        if let found, found > currentVersion {
            throw StoreError.newerSchema(found: found, supported: currentVersion)
        }
        try migrator.migrate(writer)
    }
}
