import Foundation
import GymCore
import GymStore

/// A registered agent serving designs to whoever evaluates them: the runner's ask/tell step with the
/// client as the environment. `suggest` numbers the agent's designs; `observe` takes their evaluations
/// (metrics and a status, or a reward), logs them as trials and teaches the agent. After every step the
/// agent's state, the designs suggested but not yet observed and the next number are checkpointed, so a
/// study resumed after its server was killed suggests exactly what it would have suggested had it never
/// stopped.
///
/// Thread-safe; steps run one at a time.
public final class Study: @unchecked Sendable {
    /// Its experiment.
    public let log: ExperimentLog
    private let agent: any Agent
    private let lock = NSLock()
    private var pending: [PendingDesign]
    private var next: Int
    private var observed: Int

    /// A design suggested and not yet observed.
    public struct PendingDesign: Codable, Sendable, Equatable {
        public var number: Int
        public var design: Design
    }

    /// What a study checkpoints.
    struct State: Codable {
        var agent: Data
        var pending: [PendingDesign]
        var next: Int
    }

    /// One evaluation of a suggested design, as its evaluator reports it.
    public struct Observation: Sendable {
        public var design: Design
        /// The evaluation (status, metrics, message); nil when only a reward is given.
        public var evaluation: Evaluation?
        /// The reward, or for a Pareto objective the reward vector, when given instead of metrics.
        public var rewards: [Double]?
        /// Whether the client measured it (then it is logged but never cached).
        public var measuredByClient: Bool
        public var startedAt: Date
        public var worker: String
        /// Whether the evaluation came from the cache.
        public var cached: Bool

        public init(design: Design, evaluation: Evaluation? = nil, rewards: [Double]? = nil, measuredByClient: Bool = true,
                    startedAt: Date = Date(), worker: String = "client", cached: Bool = false) {
            self.cached = cached
            self.design = design
            self.evaluation = evaluation
            self.rewards = rewards
            self.measuredByClient = measuredByClient
            self.startedAt = startedAt
            self.worker = worker
        }
    }

    private init(log: ExperimentLog, agent: any Agent, pending: [PendingDesign], next: Int, observed: Int) {
        self.log = log
        self.agent = agent
        self.pending = pending
        self.next = next
        self.observed = observed
    }

    /// Starts a study of `agentID` on a space `spec` declares (a served environment's, or a client's own),
    /// logged as a new experiment.
    public static func start(registry: Registry, store: TrajectoryStore, writer: TrialWriter, spec: EnvironmentSpec,
                             options: EnvironmentOptions, objective: Objective, agentID: String,
                             hyperparameters: [String: ParameterValue], seed: UInt64, budget: Int?, name: String?,
                             usesCache: Bool) throws -> Study {
        if let budget, budget < 1 { throw StudyError.invalid("the budget must be at least 1 evaluation, not \(budget)") }
        let entry = try registry.agent(agentID)
        let values = try entry.hyperparameters.design(from: hyperparameters, fillingDefaults: true)
        let agent = try registry.makeAgent(agentID, space: spec.space, objective: objective, seed: Seeds.derive(seed, "agent"),
                                           hyperparameters: values.values)
        var record = ExperimentRecord(
            name: name, environmentSpec: spec, environmentOptions: options, objective: objective, agentID: agentID,
            hyperparameters: values, seed: seed, budgetEvaluations: budget, budgetSeconds: nil, batchSize: 1, parallelism: 1,
            usesCache: usesCache, host: ProcessInfo.processInfo.hostName, softwareVersion: DesignGym.version)
        record.driver = .study
        let log = try ExperimentLog(creating: record, store: store, writer: writer)
        return Study(log: log, agent: agent, pending: [], next: 0, observed: 0)
    }

    /// Resumes the study logged as experiment `id`: its agent from the last checkpoint, the designs it
    /// had suggested and not seen observed, its numbering.
    public static func resume(_ id: Int64, registry: Registry, store: TrajectoryStore, writer: TrialWriter) throws -> Study {
        let record = try store.experiment(id)
        guard record.driver == .study else {
            throw StudyError.invalid("experiment \(id) is not a study (it was driven by \(record.driver == .run ? "gym run; resume it with gym run --resume \(id)" : "a client's session"))")
        }
        if record.status == .completed { throw StudyError.invalid("study \(id) is complete: its budget is spent") }
        let agent = try registry.makeAgent(record.agentID, space: record.environmentSpec.space, objective: record.objective,
                                           seed: Seeds.derive(record.seed, "agent"), hyperparameters: record.hyperparameters.values)
        var pending: [PendingDesign] = [], next = 0
        if let checkpoint = try store.checkpoint(experiment: id) {
            let state: State
            do {
                state = try JSONDecoder().decode(State.self, from: checkpoint.state)
            } catch {
                throw StudyError.invalid("study \(id)'s checkpoint cannot be read: \(error)")
            }
            try agent.restore(state.agent)
            pending = state.pending
            next = state.next
        }
        let observed = try store.trialCount(experiment: id)
        let log = try ExperimentLog(reopening: id, store: store, writer: writer)
        return Study(log: log, agent: agent, pending: pending, next: next, observed: observed)
    }

    /// Designs suggested and not yet observed, in number order.
    public var pendingDesigns: [PendingDesign] {
        lock.lock()
        defer { lock.unlock() }
        return pending
    }

    /// Trials observed so far.
    public var observedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return observed
    }

    /// Whether the budget is spent: every evaluation it allows has been observed.
    public var isComplete: Bool {
        lock.lock()
        defer { lock.unlock() }
        return log.record.budgetEvaluations.map { observed >= $0 } ?? false
    }

    /// The agent's next designs, at most `count` (fewer when the budget allows fewer), numbered.
    public func suggest(_ count: Int) throws -> [PendingDesign] {
        guard count >= 1 && count <= 10_000 else { throw StudyError.invalid("\"count\" is a whole number from 1 to 10000, not \(count)") }
        lock.lock()
        defer { lock.unlock() }
        var allowed = count
        if let budget = log.record.budgetEvaluations {
            guard next < budget else { throw StudyError.budgetSpent(budget) }
            allowed = min(count, budget - next)
        }
        let space = log.spec.space
        let designs = try agent.suggest(allowed).map { suggestion -> Design in
            do {
                return try space.validate(suggestion)
            } catch {
                throw ExperimentError.invalidSuggestion(agent: log.record.agentID, reason: String(describing: error))
            }
        }
        let numbered = designs.enumerated().map { PendingDesign(number: next + $0.offset, design: $0.element) }
        next += numbered.count
        pending += numbered
        try saveCheckpoint()
        return numbered
    }

    /// Takes evaluations of suggested designs: each must be one of the pending designs and give the metrics
    /// the objective needs (or a reward). Logs them as trials, teaches the agent, checkpoints.
    @discardableResult
    public func observe(_ observations: [Observation]) throws -> [Trial] {
        guard !observations.isEmpty else { throw StudyError.invalid("\"trials\" is empty: observe at least one evaluated design") }
        lock.lock()
        defer { lock.unlock() }
        let space = log.spec.space
        var remaining = pending
        var entries: [ExperimentLog.Entry] = []
        for (index, observation) in observations.enumerated() {
            let design: Design
            do {
                design = try space.validate(observation.design)
            } catch let error as DesignError {
                throw StudyError.invalidDesign(index: index, error)
            }
            guard let position = remaining.firstIndex(where: { $0.design == design }) else {
                throw StudyError.notSuggested(index: index, design: design.canonicalJSON)
            }
            let number = remaining.remove(at: position).number
            let entry: ExperimentLog.Entry
            if let evaluation = observation.evaluation {
                if evaluation.status == .ok {
                    let needed = Array(Set(log.objective.metricNames + log.objective.limits.map(\.metric))).sorted()
                    if let missing = needed.first(where: { evaluation.metrics[$0] == nil || !evaluation.metrics[$0]!.isFinite }) {
                        throw StudyError.missingMetric(index: index, metric: missing, needed: needed)
                    }
                }
                entry = ExperimentLog.Entry(design: design, evaluation: evaluation, startedAt: observation.startedAt, worker: observation.worker,
                                            cached: observation.cached, number: number, measuredByClient: observation.measuredByClient)
            } else if let rewards = observation.rewards {
                let dimension = log.objective.kind == .pareto ? log.objective.terms.count : 1
                guard rewards.count == dimension, rewards.allSatisfy(\.isFinite) else {
                    throw StudyError.invalid("trial \(index): the objective \(log.objective) needs \(dimension == 1 ? "one finite reward" : "\(dimension) finite rewards"), not \(rewards)")
                }
                var evaluation = Evaluation(metrics: [:])
                evaluation.details["reward_given"] = .bool(true)
                entry = ExperimentLog.Entry(design: design, evaluation: evaluation, givenRewards: rewards,
                                            startedAt: observation.startedAt, worker: observation.worker, number: number,
                                            measuredByClient: true)
            } else {
                throw StudyError.invalid("trial \(index): give its \"metrics\" and \"status\", or its \"reward\"")
            }
            entries.append(entry)
        }
        let trials = log.record(entries)
        try agent.observe(trials.sorted { $0.number < $1.number })
        pending = remaining
        observed += trials.count
        try saveCheckpoint()
        if let budget = log.record.budgetEvaluations, observed >= budget, pending.isEmpty {
            log.finish(.completed)
        }
        return trials
    }

    private func saveCheckpoint() throws {
        let state = State(agent: try agent.checkpoint(), pending: pending, next: next)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        log.checkpoint(AgentCheckpoint(state: try encoder.encode(state), observedTrials: next))
    }
}

/// A study step that cannot be taken: the message says what was wrong.
public enum StudyError: Error, Sendable, CustomStringConvertible {
    /// An argument that cannot be used.
    case invalid(String)
    /// An observed design that is not a point of the space.
    case invalidDesign(index: Int, DesignError)
    /// An observed design the study did not suggest (or that was observed already).
    case notSuggested(index: Int, design: String)
    /// An `ok` observation without a metric the objective needs.
    case missingMetric(index: Int, metric: String, needed: [String])
    /// Every evaluation the budget allows has been suggested.
    case budgetSpent(Int)

    public var description: String {
        switch self {
        case .invalid(let reason): return reason
        case .invalidDesign(let index, let error): return "trial \(index): \(error)"
        case .notSuggested(let index, let design):
            return "trial \(index): the study never suggested \(design), or it was observed already; observe only designs \"suggest\" returned"
        case .missingMetric(let index, let metric, let needed):
            return "trial \(index) is ok but has no finite '\(metric)'; the objective needs \(needed.joined(separator: ", "))"
        case .budgetSpent(let budget): return "the study's budget of \(budget) evaluations is spent; close it"
        }
    }
}
