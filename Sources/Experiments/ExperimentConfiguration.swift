import GymCore
import GymStore

/// How much an experiment may spend: evaluations, wall-clock seconds, or both (whichever runs out first).
public struct Budget: Codable, Hashable, Sendable {
    /// The number of trials, if bounded.
    public var evaluations: Int?
    /// Wall-clock seconds, summed over every session of the experiment, if bounded.
    public var seconds: Double?

    /// Creates a budget; at least one bound must be given.
    public init(evaluations: Int? = nil, seconds: Double? = nil) {
        self.evaluations = evaluations
        self.seconds = seconds
    }
}

/// Everything that defines an experiment before it runs.
public struct ExperimentConfiguration: Sendable {
    /// The environment's versioned id.
    public var environmentID: String
    /// Workload, fidelity and options (the seed is derived from `seed`).
    public var environmentOptions: EnvironmentOptions
    /// The objective, or nil for the environment's default.
    public var objective: Objective?
    /// The agent's id.
    public var agentID: String
    /// Hyperparameters by name; the rest take their defaults.
    public var hyperparameters: [String: ParameterValue]
    /// The master seed.
    public var seed: UInt64
    /// The budget.
    public var budget: Budget
    /// Designs suggested and evaluated per round.
    public var batchSize: Int
    /// Evaluations run at once (one environment instance each).
    public var parallelism: Int
    /// Whether to read and fill the evaluation cache.
    public var usesCache: Bool
    /// A free-form label.
    public var name: String?

    /// Creates a configuration.
    public init(environmentID: String, environmentOptions: EnvironmentOptions = EnvironmentOptions(), objective: Objective? = nil,
                agentID: String, hyperparameters: [String: ParameterValue] = [:], seed: UInt64 = 0,
                budget: Budget = Budget(evaluations: 100), batchSize: Int = 1, parallelism: Int = 1, usesCache: Bool = true,
                name: String? = nil) {
        self.environmentID = environmentID
        self.environmentOptions = environmentOptions
        self.objective = objective
        self.agentID = agentID
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.budget = budget
        self.batchSize = batchSize
        self.parallelism = parallelism
        self.usesCache = usesCache
        self.name = name
    }
}

/// Why an experiment cannot start or go on.
public enum ExperimentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A budget, batch size or parallelism that cannot be used.
    case invalidSetting(String)
    /// The agent suggested a design outside the space: a bug in the agent.
    case invalidSuggestion(agent: String, reason: String)
    /// On resume, the agent did not re-suggest the designs it had suggested before the stop.
    case notReproducible(agent: String, trial: Int)
    /// The experiment has already spent its budget.
    case alreadyComplete(Int64)
    /// The experiment was not `gym run`'s: a client chose its designs.
    case notARun(Int64, driver: ExperimentDriver)

    /// A sentence saying what went wrong and what to do.
    public var description: String {
        switch self {
        case .invalidSetting(let reason):
            return reason
        case .invalidSuggestion(let agent, let reason):
            return "agent '\(agent)' suggested an invalid design (\(reason)); this is a bug in the agent"
        case .notReproducible(let agent, let trial):
            return "agent '\(agent)' suggested a different design for trial \(trial) than before the stop; it is not deterministic for its seed and history, so the experiment cannot be resumed"
        case .alreadyComplete(let id):
            return "experiment \(id) has already spent its budget; start a new one with `gym run`"
        case .notARun(let id, let driver):
            return driver == .study
                ? "experiment \(id) is a study a client drove over designgym/1; resume it with open_study and \"resume\": \(id)"
                : "experiment \(id) is a client's session over designgym/1; only its client can go on with it"
        }
    }
}
