import Foundation
import GymCore

/// Where an experiment stands.
public enum ExperimentStatus: String, Codable, Hashable, Sendable, CaseIterable {
    /// Running now, or killed before it could say otherwise.
    case running
    /// Its budget is spent.
    case completed
    /// Stopped early (interrupted by the user, or its wall-time budget ran out before the evaluation budget); resumable.
    case interrupted
    /// Stopped by an error; the record's `error` says which.
    case failed
}

/// What chose an experiment's designs.
public enum ExperimentDriver: String, Codable, Hashable, Sendable, CaseIterable {
    /// `gym run` or `gym sweep`: a registered agent in the runner's loop (resumable with `gym run --resume`).
    case run
    /// A client's session over designgym/1 (`gym serve --db`): the client chose the designs.
    case session
    /// A study over designgym/1: a registered agent suggesting, the client evaluating (resumable with
    /// `open_study` and `resume`).
    case study
}

/// One experiment: an agent searching an environment under an objective, a seed and a budget.
public struct ExperimentRecord: Codable, Equatable, Sendable {
    /// The store's id, assigned on creation.
    public var id: Int64?
    /// A free-form label.
    public var name: String?
    /// The environment's versioned id.
    public var environmentID: String
    /// The workload run.
    public var workload: String
    /// The options the environment was created with.
    public var environmentOptions: EnvironmentOptions
    /// The environment's spec at the time (space and metrics), so exports know types and units.
    public var environmentSpec: EnvironmentSpec
    /// The objective maximised.
    public var objective: Objective
    /// The agent's id.
    public var agentID: String
    /// The agent's hyperparameters, all of them (defaults filled in).
    public var hyperparameters: Design
    /// The master seed; the agent's and environment's seeds derive from it.
    public var seed: UInt64
    /// The budget in evaluations, if any.
    public var budgetEvaluations: Int?
    /// The budget in wall-clock seconds, if any.
    public var budgetSeconds: Double?
    /// Designs suggested and evaluated per round.
    public var batchSize: Int
    /// Evaluations run at once.
    public var parallelism: Int
    /// Whether the evaluation cache is read and written.
    public var usesCache: Bool
    /// Where it stands.
    public var status: ExperimentStatus
    /// The machine it ran on.
    public var host: String
    /// DesignGym's version.
    public var softwareVersion: String
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// When it completed, failed or was interrupted.
    public var finishedAt: Date?
    /// Wall-clock seconds spent running so far, over all sessions.
    public var elapsedSeconds: Double
    /// Why it failed.
    public var error: String?
    /// The process running it, as `ProcessIdentity` writes it, while it runs.
    public var process: String?
    /// What chose its designs.
    public var driver: ExperimentDriver = .run

    /// Whether the record says `running` but its process on this machine is gone: it was killed, and
    /// `gym run --resume` continues it. Runs on other machines are taken at their word.
    public var isStale: Bool {
        guard status == .running, host == ProcessInfo.processInfo.hostName, let process else { return false }
        return !ProcessIdentity.isAlive(process)
    }

    /// The status to show: `stale` for a running experiment whose process is gone, else the status.
    public var shownStatus: String { isStale ? "stale" : status.rawValue }

    /// Creates a record for a new experiment (status `running`, timestamps now).
    public init(name: String? = nil, environmentSpec: EnvironmentSpec, environmentOptions: EnvironmentOptions,
                objective: Objective, agentID: String, hyperparameters: Design, seed: UInt64,
                budgetEvaluations: Int?, budgetSeconds: Double?, batchSize: Int, parallelism: Int, usesCache: Bool,
                host: String, softwareVersion: String) {
        let now = Date()
        self.id = nil
        self.name = name
        self.environmentID = environmentSpec.id
        self.workload = environmentSpec.workload
        self.environmentOptions = environmentOptions
        self.environmentSpec = environmentSpec
        self.objective = objective
        self.agentID = agentID
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.budgetEvaluations = budgetEvaluations
        self.budgetSeconds = budgetSeconds
        self.batchSize = batchSize
        self.parallelism = parallelism
        self.usesCache = usesCache
        self.status = .running
        self.host = host
        self.softwareVersion = softwareVersion
        self.createdAt = now
        self.updatedAt = now
        self.finishedAt = nil
        self.elapsedSeconds = 0
        self.error = nil
        self.process = ProcessIdentity.current
    }
}

/// A process as it can be recognised later on the same machine: its id and, on Linux, its start time
/// (so a reused id is not mistaken for the process that had it).
public enum ProcessIdentity {
    /// This process.
    public static let current: String = identity(of: getpid()) ?? String(getpid())

    /// "pid starttime" from /proc, or nil when the process does not exist.
    static func identity(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return kill(pid, 0) == 0 || errno == EPERM ? String(pid) : nil
        }
        // Fields after the command name, which is in parentheses and may hold spaces: state is the 1st,
        // the start time the 20th.
        guard let close = stat.range(of: ")", options: .backwards) else { return nil }
        let fields = stat[close.upperBound...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return "\(pid) \(fields[19])"
    }

    /// Whether the process `identity` names still runs.
    public static func isAlive(_ identity: String) -> Bool {
        guard let pid = identity.split(separator: " ").first.flatMap({ Int32($0) }) else { return false }
        return Self.identity(of: pid) == identity
    }
}

/// An agent's saved state together with how many trials it had observed.
public struct AgentCheckpoint: Hashable, Sendable {
    /// The agent's state, from `Agent.checkpoint()`.
    public var state: Data
    /// Trials 0..<observedTrials had been observed when it was taken.
    public var observedTrials: Int

    /// Creates a checkpoint.
    public init(state: Data, observedTrials: Int) {
        self.state = state
        self.observedTrials = observedTrials
    }
}

/// What identifies a cached evaluation: the environment (with version), the workload, the rest of the
/// environment's configuration, and the design.
public struct CacheKey: Hashable, Sendable {
    /// The environment's versioned id.
    public var environmentID: String
    /// The workload.
    public var workload: String
    /// SHA-256 of the canonical environment options other than the workload (and the seed, for
    /// deterministic environments).
    public var configurationHash: String
    /// The design's hash.
    public var designHash: String

    /// The key of `design` evaluated by an environment with `spec` created from `options`.
    public init(spec: EnvironmentSpec, options: EnvironmentOptions, design: Design) {
        var configuration: [String: ParameterValue] = options.values.mapValues(ParameterValue.string)
        configuration["@fidelity"] = .string(options.fidelity ?? "")
        if !spec.isDeterministic { configuration["@seed"] = .string(String(options.seed)) }
        if let revision = spec.revision { configuration["@revision"] = .string(revision) }
        environmentID = spec.id
        workload = spec.workload
        configurationHash = SHA256.hexDigest(Array(CanonicalJSON.object(configuration).utf8))
        designHash = design.hash
    }
}

/// A store operation that cannot be done: the message says what to do.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No experiment has this id.
    case unknownExperiment(Int64)
    /// The database was written by a newer DesignGym.
    case newerSchema(found: Int, supported: Int)
    /// A stored value could not be read back.
    case corrupt(String)
    /// No file at the path (for a store opened read-only).
    case noDatabase(String)
    /// The file is an SQLite database, but not DesignGym's.
    case notDesignGym(path: String, tables: [String])
    /// SQLite reported an error on the file.
    case sqlite(path: String, message: String)
    /// A write to a store opened read-only.
    case readOnly(String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .unknownExperiment(let id):
            return "no experiment \(id) in this database; `gym show` lists the experiments there are"
        case .newerSchema(let found, let supported):
            return "the database has schema version \(found) but this DesignGym reads up to \(supported); upgrade DesignGym"
        case .corrupt(let what):
            return "a stored value cannot be read: \(what)"
        case .noDatabase(let path):
            return "there is no database at \(path); give the one `gym run` wrote with --db"
        case .notDesignGym(let path, let tables):
            return "\(path) is an SQLite database, but not DesignGym's (it holds \(tables.joined(separator: ", "))); give another file with --db"
        case .sqlite(let path, let message):
            return "\(path): \(message)"
        case .readOnly(let path):
            return "\(path) was opened read-only; this command cannot change it"
        }
    }
}
