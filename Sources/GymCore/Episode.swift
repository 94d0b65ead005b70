/// Gymnasium-style episodes over an environment and an objective.
///
/// `reset(seed:)` starts an episode; each `step` evaluates one design. An episode *terminates* when it has
/// taken `length` steps (the horizon is part of the task, as in ArchGym's one-step RL setting); it is
/// *truncated* when an evaluation failed or timed out, so the episode could not go on as the task
/// intended. The two are never merged.
public struct Episode {
    /// The environment stepped.
    public var environment: any Environment
    /// The objective giving rewards.
    public let objective: Objective
    /// Steps per episode (default 1).
    public let length: Int
    /// Steps taken in the current episode.
    public private(set) var stepCount = 0
    /// The seed given to the last `reset`.
    public private(set) var seed: UInt64?
    private var finished = true

    /// Creates an episode runner; call `reset` before the first step.
    public init(environment: any Environment, objective: Objective, length: Int = 1) {
        precondition(length >= 1, "an episode needs at least one step")
        self.environment = environment
        self.objective = objective
        self.length = length
    }

    /// What one step returns.
    public struct Step: Sendable {
        /// The metrics of the evaluated design in spec order (0 for metrics a failed evaluation lacks).
        public var observation: [Double]
        /// The reward (nil when a failed evaluation has no reward under the objective's policy).
        public var reward: Double?
        /// The episode reached its natural end (its length).
        public var terminated: Bool
        /// The episode was cut short (the evaluation failed or timed out).
        public var truncated: Bool
        /// The full evaluation.
        public var evaluation: Evaluation
    }

    /// Whether `step` may be called: the episode has started and not ended.
    public var isRunning: Bool { !finished }

    /// Starts a new episode and returns its first observation: zeros, since nothing is measured yet.
    /// The same seed always gives the same observation.
    public mutating func reset(seed: UInt64? = nil) -> [Double] {
        self.seed = seed
        stepCount = 0
        finished = false
        return [Double](repeating: 0, count: environment.spec.metrics.count)
    }

    /// Evaluates `design` as the next step. Throws `EpisodeError.needsReset` after the episode ended.
    public mutating func step(_ design: Design) throws -> Step {
        guard !finished else { throw EpisodeError.needsReset }
        return try step(design, evaluatedAs: environment.measure(design))
    }

    /// Takes `evaluation` — of `design`, made earlier or found in a cache — as the next step.
    public mutating func step(_ design: Design, evaluatedAs evaluation: Evaluation) throws -> Step {
        guard !finished else { throw EpisodeError.needsReset }
        stepCount += 1
        let truncated = evaluation.status == .failed || evaluation.status == .timeout
        let terminated = !truncated && stepCount >= length
        finished = terminated || truncated
        return Step(observation: environment.spec.observation(of: evaluation),
                    reward: objective.reward(for: evaluation), terminated: terminated, truncated: truncated,
                    evaluation: evaluation)
    }
}

/// Misuse of an episode.
public enum EpisodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `step` was called before `reset` or after the episode ended.
    case needsReset

    /// What to do.
    public var description: String { "the episode has ended (or never started): call reset(seed:) before step" }
}
