import GymCore
import GymStore

/// A snapshot of a running experiment, given to progress observers each time trials are committed.
public struct ExperimentProgress: Sendable {
    /// The experiment's id.
    public var experimentID: Int64
    /// Trials stored so far (including those of earlier sessions).
    public var completed: Int
    /// Trials in the evaluation budget, if bounded.
    public var total: Int?
    /// The best reward so far.
    public var bestReward: Double?
    /// Wall-clock seconds of this session.
    public var elapsed: Double
    /// Trials stored per second in this session.
    public var rate: Double
    /// Estimated seconds left, if it can be estimated.
    public var remaining: Double?
    /// Trials this session served from the cache.
    public var cacheHits: Int
    /// Trials this session whose evaluation was not `ok`.
    public var unsuccessful: Int
}

/// How an experiment session ended.
public struct ExperimentSummary: Sendable {
    /// The experiment's id.
    public var experimentID: Int64
    /// Its status now: `completed`, or `interrupted` when asked to stop before its budget was spent.
    public var status: ExperimentStatus
    /// Trials stored in all.
    public var trials: Int
    /// The trial with the best reward, if any has one.
    public var best: Trial?
    /// Wall-clock seconds of this session.
    public var elapsed: Double
    /// Trials this session served from the cache.
    public var cacheHits: Int
    /// Trials whose evaluation was `ok`.
    public var okTrials: Int
    /// The message of the first trial that was not ok, if any.
    public var firstFailure: String?
    /// Trials whose evaluation `failed` or timed out.
    public var failedTrials: Int = 0
    /// Why the run stopped before its budget when nobody asked it to (its environment could not be
    /// reached); nil otherwise. The experiment is `interrupted` and resumable.
    public var interruption: String?
}
