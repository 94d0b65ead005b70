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

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .unknownExperiment(let id):
            return "no experiment \(id) in this database; `gym show` lists the experiments there are"
        case .newerSchema(let found, let supported):
            return "the database has schema version \(found) but this DesignGym reads up to \(supported); upgrade DesignGym"
        case .corrupt(let what):
            return "a stored value cannot be read: \(what)"
        }
    }
}
