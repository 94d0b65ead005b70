import Foundation

/// One completed evaluation within an experiment: the design, what it measured and the reward.
public struct Trial: Codable, Hashable, Sendable {
    /// The experiment it belongs to, when it is stored.
    public var experimentID: Int64?
    /// Its position in the experiment, from 0, in the order the agent suggested designs.
    public var number: Int
    /// The design evaluated.
    public var design: Design
    /// What the evaluation produced.
    public var evaluation: Evaluation
    /// The scalar reward (maximised), nil when the evaluation failed under the `worst` policy.
    public var reward: Double?
    /// The reward vector of a Pareto objective (one value otherwise), nil like `reward`.
    public var rewards: [Double]?
    /// When the evaluation started.
    public var startedAt: Date
    /// When it finished.
    public var finishedAt: Date
    /// Which worker evaluated it ("local-0", a worker's identity, or "cache").
    public var worker: String
    /// Whether the evaluation came from the evaluation cache rather than the simulator.
    public var cached: Bool

    /// Creates a trial.
    public init(experimentID: Int64? = nil, number: Int, design: Design, evaluation: Evaluation, reward: Double?,
                rewards: [Double]? = nil, startedAt: Date = Date(), finishedAt: Date = Date(), worker: String = "local-0",
                cached: Bool = false) {
        self.experimentID = experimentID
        self.number = number
        self.design = design
        self.evaluation = evaluation
        self.reward = reward
        self.rewards = rewards ?? reward.map { [$0] }
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.worker = worker
        self.cached = cached
    }
}
