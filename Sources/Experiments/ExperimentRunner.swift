import Dispatch
import Foundation
import GymCore
import GymStore

/// Runs experiments: the ask/tell loop between a registered agent and a registered environment, logging
/// every trial to the store.
///
/// Each round the agent suggests a batch; designs already in the evaluation cache are answered from it,
/// the rest are evaluated in parallel on `parallelism` environment instances; trials are written by a
/// background writer; the agent observes the batch and its checkpoint is saved after the batch's trials.
/// So a run killed at any moment resumes exactly: the agent is restored from its last checkpoint and
/// re-suggests the interrupted batch, whose stored trials are reused rather than evaluated again.
public final class ExperimentRunner: @unchecked Sendable {
    private let registry: Registry
    private let store: TrajectoryStore
    private let stopLock = NSLock()
    private var stopRequested = false
    /// Seconds each evaluation in this process may take before it stops with status `timeout` (nil: no
    /// limit). Simulations check it as they run; it is a setting of this runner, not of the experiment.
    public var evaluationTimeout: Double?

    /// Creates a runner over a registry and a store.
    public init(registry: Registry, store: TrajectoryStore) {
        self.registry = registry
        self.store = store
    }

    /// Asks the running experiment to stop after the current batch (as on Ctrl-C); it is left `interrupted`.
    public func requestStop() {
        stopLock.lock()
        stopRequested = true
        stopLock.unlock()
    }

    private var shouldStop: Bool {
        stopLock.lock()
        defer { stopLock.unlock() }
        return stopRequested
    }

    /// Creates the experiment in the store and runs it to its budget.
    public func run(_ configuration: ExperimentConfiguration, progress: @escaping @Sendable (ExperimentProgress) -> Void = { _ in })
        throws -> ExperimentSummary
    {
        guard configuration.budget.evaluations != nil || configuration.budget.seconds != nil else {
            throw ExperimentError.invalidSetting("give a budget: a number of evaluations, a number of seconds, or both")
        }
        if let evaluations = configuration.budget.evaluations, evaluations < 1 {
            throw ExperimentError.invalidSetting("the evaluation budget must be at least 1, not \(evaluations)")
        }
        if let seconds = configuration.budget.seconds, !(seconds > 0) {
            throw ExperimentError.invalidSetting("the time budget must be a positive number of seconds, not \(seconds)")
        }
        guard configuration.batchSize >= 1 else {
            throw ExperimentError.invalidSetting("the batch size must be at least 1, not \(configuration.batchSize)")
        }
        guard configuration.parallelism >= 1 else {
            throw ExperimentError.invalidSetting("parallelism must be at least 1, not \(configuration.parallelism)")
        }
        var options = configuration.environmentOptions
        options.seed = Seeds.derive(configuration.seed, "environment")
        let environment = try registry.makeEnvironment(configuration.environmentID, options: options)
        let spec = environment.spec
        let objective = try (configuration.objective ?? spec.defaultObjective).resolved(against: spec.metrics)
        let agentEntry = try registry.agent(configuration.agentID)
        let hyperparameters = try agentEntry.hyperparameters.design(from: configuration.hyperparameters, fillingDefaults: true)
        let record = ExperimentRecord(
            name: configuration.name, environmentSpec: spec, environmentOptions: options, objective: objective,
            agentID: configuration.agentID, hyperparameters: hyperparameters, seed: configuration.seed,
            budgetEvaluations: configuration.budget.evaluations, budgetSeconds: configuration.budget.seconds,
            batchSize: configuration.batchSize, parallelism: configuration.parallelism, usesCache: configuration.usesCache,
            host: ProcessInfo.processInfo.hostName, softwareVersion: DesignGym.version)
        let id = try store.createExperiment(record)
        var stored = record
        stored.id = id
        return try execute(stored, firstEnvironment: environment, progress: progress)
    }

    /// Continues a stopped or killed experiment to exactly its budget, reusing every stored trial.
    public func resume(_ id: Int64, progress: @escaping @Sendable (ExperimentProgress) -> Void = { _ in }) throws -> ExperimentSummary {
        let record = try store.experiment(id)
        if record.status == .completed { throw ExperimentError.alreadyComplete(id) }
        guard record.driver == .run else { throw ExperimentError.notARun(id, driver: record.driver) }
        try store.reopenExperiment(id)
        let environment = try registry.makeEnvironment(record.environmentID, options: record.environmentOptions)
        return try execute(record, firstEnvironment: environment, progress: progress)
    }

    private func execute(_ record: ExperimentRecord, firstEnvironment: any Environment,
                         progress: @escaping @Sendable (ExperimentProgress) -> Void) throws -> ExperimentSummary {
        let id = record.id!
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        do {
            let summary = try loop(record, firstEnvironment: firstEnvironment, start: start, progress: progress)
            try store.finishExperiment(id, status: summary.status, error: summary.interruption, elapsed: elapsed())
            return summary
        } catch {
            try? store.finishExperiment(id, status: .failed, error: String(describing: error), elapsed: elapsed())
            throw error
        }
    }

    private func loop(_ record: ExperimentRecord, firstEnvironment: any Environment, start: UInt64,
                      progress: @escaping @Sendable (ExperimentProgress) -> Void) throws -> ExperimentSummary {
        let id = record.id!
        let spec = firstEnvironment.spec
        var environments = [firstEnvironment]
        while environments.count < record.parallelism {
            environments.append(try registry.makeEnvironment(record.environmentID, options: record.environmentOptions))
        }
        let agent = try registry.makeAgent(record.agentID, space: spec.space, objective: record.objective,
                                           seed: Seeds.derive(record.seed, "agent"), hyperparameters: record.hyperparameters.values)
        var number = 0
        let storedTrials = try store.trials(experiment: id)
        if let checkpoint = try store.checkpoint(experiment: id) {
            // The checkpoint is used only if every trial it has observed is stored; otherwise (a write that
            // failed, say on a full disk) the agent starts afresh, re-suggests its designs, and the stored
            // trials are reused while the missing ones are evaluated again.
            let numbers = Set(storedTrials.map(\.number))
            if (0..<checkpoint.observedTrials).allSatisfy(numbers.contains) {
                try agent.restore(checkpoint.state)
                number = checkpoint.observedTrials
            }
        }
        var stored = Dictionary(uniqueKeysWithValues: storedTrials.map { ($0.number, $0) })
        // What this run evaluated, by cache key: a repeated design is answered from here whether or not the
        // writer has committed the first one yet, so which trials are cache hits never depends on timing.
        var remembered: [CacheKey: Evaluation] = [:]
        let tracker = ProgressTracker(experimentID: id, total: record.budgetEvaluations, budgetSeconds: record.budgetSeconds,
                                      elapsedBefore: record.elapsedSeconds, start: start,
                                      completedBefore: storedTrials.count, best: Analysis.best(storedTrials)?.reward,
                                      observer: progress)
        let writer = TrialWriter(store: store, experimentID: id) { tracker.committed($0) }
        defer { try? writer.close() }

        func timeLeft() -> Bool {
            guard let seconds = record.budgetSeconds else { return true }
            return record.elapsedSeconds + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
        }
        var finishedBudget = true
        var lostEnvironment: EnvironmentUnreachable?
        rounds: while true {
            try writer.throwIfFailed()
            if let evaluations = record.budgetEvaluations, number >= evaluations { break }
            if !timeLeft() { break }
            if shouldStop {
                finishedBudget = false
                break
            }
            let count = min(record.batchSize, (record.budgetEvaluations ?? Int.max) - number)
            let suggestions = try agent.suggest(count)
            guard suggestions.count == count else {
                throw ExperimentError.invalidSuggestion(agent: record.agentID, reason: "asked for \(count) designs, got \(suggestions.count)")
            }
            var batch: [Trial?] = Array(repeating: nil, count: count)
            var toEvaluate: [(index: Int, design: Design, key: CacheKey)] = []
            // A design the batch holds twice is evaluated once: its repeats wait for that evaluation.
            var repeats: [(index: Int, design: Design, key: CacheKey)] = []
            var cacheHits: [Trial] = []
            func cacheHit(_ index: Int, _ design: Design, _ cached: Evaluation) -> Trial {
                let now = Date()
                return Trial(experimentID: id, number: number + index, design: design, evaluation: cached,
                             reward: record.objective.reward(for: cached), rewards: record.objective.rewards(for: cached),
                             startedAt: now, finishedAt: now, worker: "cache", cached: true)
            }
            for (index, suggestion) in suggestions.enumerated() {
                let design: Design
                do {
                    design = try spec.space.validate(suggestion)
                } catch {
                    throw ExperimentError.invalidSuggestion(agent: record.agentID, reason: String(describing: error))
                }
                let trialNumber = number + index
                if let previous = stored.removeValue(forKey: trialNumber) {
                    // Designs read back from JSON are brought to canonical form before comparing.
                    guard (try? spec.space.validate(previous.design)) == design else {
                        throw ExperimentError.notReproducible(agent: record.agentID, trial: trialNumber)
                    }
                    var reused = previous
                    reused.design = design
                    batch[index] = reused
                    continue
                }
                let key = CacheKey(spec: spec, options: record.environmentOptions, design: design)
                if record.usesCache, let cached = try remembered[key] ?? store.cachedEvaluation(key) {
                    let trial = cacheHit(index, design, cached)
                    batch[index] = trial
                    cacheHits.append(trial)
                    continue
                }
                if record.usesCache, toEvaluate.contains(where: { $0.key == key }) {
                    repeats.append((index, design, key))
                } else {
                    toEvaluate.append((index, design, key))
                }
            }
            if !cacheHits.isEmpty { writer.submit(cacheHits) }
            while !toEvaluate.isEmpty {
                let (evaluated, unreachable) = evaluate(toEvaluate, numberedFrom: number, record: record, environments: environments, writer: writer)
                if let unreachable {
                    // Not a result: the trials that did finish are stored, the agent has not seen the batch, and
                    // the experiment stops interrupted, so a resume evaluates the rest of it.
                    lostEnvironment = unreachable
                    finishedBudget = false
                    break rounds
                }
                for trial in evaluated {
                    batch[trial.number - number] = trial
                    // As the store caches: ok and infeasible evaluations (failures may be transient), first kept.
                    if record.usesCache, trial.evaluation.status == .ok || trial.evaluation.status == .infeasible {
                        let key = toEvaluate.first { $0.index == trial.number - number }!.key
                        if remembered[key] == nil { remembered[key] = trial.evaluation }
                    }
                }
                // Repeats of a design now evaluated come from the cache; a repeat of one that failed is tried again.
                toEvaluate = []
                var waiting: [(index: Int, design: Design, key: CacheKey)] = []
                var answered: [Trial] = []
                for item in repeats {
                    if let cached = remembered[item.key] {
                        let trial = cacheHit(item.index, item.design, cached)
                        batch[item.index] = trial
                        answered.append(trial)
                    } else if toEvaluate.contains(where: { $0.key == item.key }) {
                        waiting.append(item)
                    } else {
                        toEvaluate.append(item)
                    }
                }
                if !answered.isEmpty { writer.submit(answered) }
                repeats = waiting
            }
            try agent.observe(batch.map { $0! })
            number += count
            writer.submit(AgentCheckpoint(state: try agent.checkpoint(), observedTrials: number))
        }
        try writer.close()
        let all = try store.trials(experiment: id)
        let snapshot = tracker.snapshot()
        let failure = all.first { $0.evaluation.status != .ok }
        return ExperimentSummary(experimentID: id, status: finishedBudget ? .completed : .interrupted, trials: all.count,
                                 best: Analysis.best(all), elapsed: snapshot.elapsed, cacheHits: snapshot.cacheHits,
                                 okTrials: all.count { $0.evaluation.status == .ok },
                                 firstFailure: failure.map { "the first (trial \($0.number)) \($0.evaluation.status.rawValue): \($0.evaluation.message ?? "no message")" },
                                 failedTrials: all.count { $0.evaluation.status == .failed || $0.evaluation.status == .timeout },
                                 interruption: lostEnvironment.map { "the environment could not be reached: \($0.description)" })
    }

    /// Evaluates designs on the environment instances in parallel; each finished trial is handed to the
    /// writer at once, so a kill loses only evaluations still running. An environment that cannot be
    /// reached gives no trial for its design, and the first such fault is returned.
    private func evaluate(_ work: [(index: Int, design: Design, key: CacheKey)], numberedFrom first: Int, record: ExperimentRecord,
                          environments: [any Environment], writer: TrialWriter) -> (trials: [Trial], unreachable: EnvironmentUnreachable?) {
        guard !work.isEmpty else { return ([], nil) }
        let results = TrialCollector()
        let evaluationTimeout = evaluationTimeout
        // One thread per environment instance, each taking the next design when it is free.
        Threads.run(work.count, threads: environments.count) { worker, position in
            let (index, design, key) = work[position]
            let started = Date()
            let evaluation: Evaluation
            do {
                evaluation = try environments[worker].attempt(design, timeLimit: evaluationTimeout)
            } catch {
                results.fault(error as? EnvironmentUnreachable ?? EnvironmentUnreachable(String(describing: error)))
                return
            }
            let trial = Trial(experimentID: record.id, number: first + index, design: design, evaluation: evaluation,
                              reward: record.objective.reward(for: evaluation), rewards: record.objective.rewards(for: evaluation),
                              startedAt: started, finishedAt: Date(), worker: Self.workerName(evaluation, thread: worker), cached: false)
            let cacheEntries = record.usesCache
                ? [(key: key, design: design, evaluation: evaluation)]
                : []
            writer.submit([trial], cache: cacheEntries)
            results.append(trial)
        }
        return (results.trials, results.firstFault)
    }
}

extension ExperimentRunner {
    /// Who evaluated: the worker a broker or worker pool names in the evaluation's details, else this
    /// process's thread.
    static func workerName(_ evaluation: Evaluation, thread: Int) -> String {
        if case .string(let name)? = evaluation.details["worker"] { return name }
        return "local-\(thread)"
    }
}

/// Collects trials finished on several threads.
private final class TrialCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Trial] = []

    private var faults: [EnvironmentUnreachable] = []

    func append(_ trial: Trial) {
        lock.lock()
        collected.append(trial)
        lock.unlock()
    }

    func fault(_ fault: EnvironmentUnreachable) {
        lock.lock()
        faults.append(fault)
        lock.unlock()
    }

    var firstFault: EnvironmentUnreachable? {
        lock.lock()
        defer { lock.unlock() }
        return faults.first
    }

    var trials: [Trial] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
