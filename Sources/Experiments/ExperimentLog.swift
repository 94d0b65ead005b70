import Dispatch
import Foundation
import GymCore
import GymStore

/// An experiment whose designs come from outside `gym run`'s loop — a client's session, or a study whose
/// agent a client asks for designs — logged exactly as the loop logs its own: the same record, trials
/// numbered in the order they are recorded, the evaluation cache, one writer.
///
/// Thread-safe. Trials go to the store through `writer`, which a server shares among all its sessions;
/// `flush()` returns once everything recorded so far is committed.
public final class ExperimentLog: @unchecked Sendable {
    /// The stored experiment.
    public let record: ExperimentRecord
    /// Its id.
    public var id: Int64 { record.id! }
    private let store: TrajectoryStore
    private let writer: TrialWriter
    private let lock = NSLock()
    private var next: Int
    private let started = DispatchTime.now().uptimeNanoseconds
    private var finished = false

    /// Creates the experiment `record` in `store`.
    public init(creating record: ExperimentRecord, store: TrajectoryStore, writer: TrialWriter) throws {
        var stored = record
        stored.id = try store.createExperiment(record)
        self.record = stored
        self.store = store
        self.writer = writer
        next = 0
    }

    /// Reopens experiment `id` to add to it; numbering goes on after its last stored trial.
    public init(reopening id: Int64, store: TrajectoryStore, writer: TrialWriter) throws {
        try store.reopenExperiment(id)
        record = try store.experiment(id)
        self.store = store
        self.writer = writer
        next = (try store.trials(experiment: id).map(\.number).max() ?? -1) + 1
    }

    /// The environment's spec, options and objective as recorded.
    public var spec: EnvironmentSpec { record.environmentSpec }
    public var objective: Objective { record.objective }

    /// The cache's evaluation of `design` (canonical), when this experiment uses the cache and one exists.
    public func cachedEvaluation(_ design: Design) throws -> Evaluation? {
        guard record.usesCache else { return nil }
        return try store.cachedEvaluation(CacheKey(spec: record.environmentSpec, options: record.environmentOptions, design: design))
    }

    /// One evaluation to record.
    public struct Entry: Sendable {
        public var design: Design
        public var evaluation: Evaluation
        /// The reward vector a client gave instead of metrics (one value unless the objective is Pareto);
        /// nil computes the rewards from the evaluation and the objective.
        public var givenRewards: [Double]?
        public var startedAt: Date
        public var finishedAt: Date
        public var worker: String
        /// Whether the evaluation came from the cache.
        public var cached: Bool
        /// The trial number, when it was fixed earlier (a study numbers its suggestions); nil takes the next.
        public var number: Int?
        /// Whether a client measured it (a study's observation): it is logged, but never enters the cache,
        /// which holds only what this machine's environments computed.
        public var measuredByClient: Bool

        public init(design: Design, evaluation: Evaluation, givenRewards: [Double]? = nil, startedAt: Date, finishedAt: Date = Date(),
                    worker: String, cached: Bool = false, number: Int? = nil, measuredByClient: Bool = false) {
            self.measuredByClient = measuredByClient
            self.design = design
            self.evaluation = evaluation
            self.givenRewards = givenRewards
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.worker = worker
            self.cached = cached
            self.number = number
        }
    }

    /// Records `entries` as trials, in order, and queues them (and the cache entries of fresh `ok`
    /// evaluations) for the writer; returns the trials.
    @discardableResult
    public func record(_ entries: [Entry]) -> [Trial] {
        lock.lock()
        let trials = entries.map { entry -> Trial in
            let number = entry.number ?? next
            next = max(next, number + 1)
            let rewards = entry.givenRewards ?? record.objective.rewards(for: entry.evaluation)
            return Trial(experimentID: record.id, number: number, design: entry.design, evaluation: entry.evaluation, reward: rewards?.first,
                         rewards: rewards, startedAt: entry.startedAt, finishedAt: entry.finishedAt, worker: entry.worker, cached: entry.cached)
        }
        lock.unlock()
        let cache = record.usesCache
            ? entries.filter { !$0.cached && !$0.measuredByClient }.map { (key: CacheKey(spec: record.environmentSpec, options: record.environmentOptions, design: $0.design),
                                                   design: $0.design, evaluation: $0.evaluation) }
            : []
        writer.submit(trials, experiment: id, cache: cache)
        return trials
    }

    /// Queues a checkpoint of the agent driving this experiment.
    public func checkpoint(_ checkpoint: AgentCheckpoint) {
        writer.submit(checkpoint, experiment: id)
    }

    /// Waits until everything recorded so far is committed; rethrows a write error.
    public func flush() throws { try writer.flush() }

    /// Ends the experiment with `status` after everything recorded is committed; later calls do nothing.
    public func finish(_ status: ExperimentStatus, error: String? = nil) {
        lock.lock()
        let already = finished
        finished = true
        lock.unlock()
        guard !already else { return }
        try? writer.flush()
        try? store.finishExperiment(id, status: status, error: error,
                                    elapsed: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }
}
