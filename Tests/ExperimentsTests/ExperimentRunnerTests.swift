import Foundation
import GymCatalog
import GymCore
import GymStore
import Testing
@testable import Experiments

func temporaryDatabasePath(_ label: String = #function) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("designgym-tests-\(UUID().uuidString)")
        .appendingPathComponent("\(label.filter(\.isLetter)).sqlite").path
}

/// What must be equal between two runs that should be identical.
struct TrialFingerprint: Equatable {
    var number: Int
    var design: Design
    var metrics: [String: Double]
    var status: EvaluationStatus
    var reward: Double?
    init(_ trial: Trial) {
        number = trial.number
        design = trial.design
        metrics = trial.evaluation.metrics
        status = trial.evaluation.status
        reward = trial.reward
    }
}

func run(_ configuration: ExperimentConfiguration, store: TrajectoryStore? = nil) throws -> (ExperimentSummary, [TrialFingerprint]) {
    let store = try store ?? TrajectoryStore(path: temporaryDatabasePath())
    let summary = try ExperimentRunner(registry: Catalog.registry, store: store).run(configuration)
    return (summary, try store.trials(experiment: summary.experimentID).map(TrialFingerprint.init))
}

@Suite struct ExperimentRunnerTests {
    @Test func sameSeedSameTrialsAcrossRuns() throws {
        for (environment, agent) in [("Branin-v0", "random"), ("Knapsack-v0", "random-walker"), ("ZDT1-v0", "random")] {
            let configuration = ExperimentConfiguration(environmentID: environment, agentID: agent, seed: 11,
                                                        budget: Budget(evaluations: 60), batchSize: 4, usesCache: false)
            let (_, first) = try run(configuration)
            let (_, second) = try run(configuration)
            #expect(first.count == 60)
            #expect(first == second, "\(environment) with \(agent)")
            var other = configuration
            other.seed = 12
            #expect(try run(other).1 != first)
        }
    }

    @Test func theBudgetIsSpentExactlyWithConsecutiveNumbers() throws {
        // 50 evaluations in batches of 7: seven full batches and one of 1.
        let (summary, trials) = try run(ExperimentConfiguration(environmentID: "Ackley-v0", agentID: "random",
                                                                 budget: Budget(evaluations: 50), batchSize: 7))
        #expect(summary.status == .completed)
        #expect(summary.trials == 50)
        #expect(trials.map(\.number) == Array(0..<50))
    }

    @Test func parallelEvaluationGivesTheSameTrialsAsSerial() throws {
        var configuration = ExperimentConfiguration(environmentID: "Branin-v0", environmentOptions: EnvironmentOptions(values: ["delay": "0.002"]),
                                                    agentID: "random", seed: 5, budget: Budget(evaluations: 40), batchSize: 8,
                                                    parallelism: 1, usesCache: false)
        let (_, serial) = try run(configuration)
        configuration.parallelism = 3
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let (summary, parallel) = try run(configuration, store: store)
        #expect(serial == parallel)
        let workers = Set(try store.trials(experiment: summary.experimentID).map(\.worker))
        #expect(workers == ["local-0", "local-1", "local-2"])
    }

    @Test func aRepeatedExperimentIsAnsweredFromTheCache() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let configuration = ExperimentConfiguration(environmentID: "Knapsack-v0", agentID: "random", seed: 3,
                                                    budget: Budget(evaluations: 30), batchSize: 5)
        let (first, firstTrials) = try run(configuration, store: store)
        let (second, secondTrials) = try run(configuration, store: store)
        #expect(firstTrials == secondTrials)
        let stored = try store.trials(experiment: second.experimentID)
        #expect(stored.allSatisfy { $0.cached && $0.worker == "cache" })
        #expect(second.cacheHits == 30)
        // Random draws can repeat within the first run too, so its hits are few but not necessarily zero.
        #expect(first.cacheHits < 30)

        var uncached = configuration
        uncached.usesCache = false
        let (third, _) = try run(uncached, store: store)
        #expect(third.cacheHits == 0)
        #expect(try store.trials(experiment: third.experimentID).allSatisfy { !$0.cached })
    }

    @Test func aDesignIsEvaluatedOnceWhateverTheBatchHoldingItsRepeats() throws {
        // The same draws in batches of 1, 6 and 20: every repeat of a design (in the same batch or a later
        // one) is a cache hit, so the evaluations are exactly the distinct designs, whatever the batching.
        var hits: [Int] = []
        for batchSize in [1, 6, 20] {
            let store = try TrajectoryStore(path: temporaryDatabasePath())
            let configuration = ExperimentConfiguration(environmentID: "Knapsack-v0", agentID: "random-walker", seed: 4,
                                                        budget: Budget(evaluations: 60), batchSize: batchSize, parallelism: 3)
            let (summary, _) = try run(configuration, store: store)
            let trials = try store.trials(experiment: summary.experimentID)
            let distinct = Set(trials.map(\.design.canonicalJSON)).count
            #expect(distinct < 60, "no repeats to test with")
            #expect(trials.filter { !$0.cached }.count == distinct && summary.cacheHits == 60 - distinct, "batch \(batchSize)")
            // The first occurrence is evaluated; every later one has its evaluation.
            var first: [String: Trial] = [:]
            for trial in trials.sorted(by: { $0.number < $1.number }) {
                let key = trial.design.canonicalJSON
                if let earlier = first[key] {
                    #expect(trial.cached && trial.evaluation.metrics == earlier.evaluation.metrics)
                } else {
                    #expect(!trial.cached)
                    first[key] = trial
                }
            }
            hits.append(summary.cacheHits)
        }
        #expect(Set(hits).count == 1)
    }

    @Test func anInterruptedExperimentResumesToTheSameTrialsAsAnUninterruptedOne() throws {
        // A 5 ms delay per evaluation lets the stop request arrive mid-run.
        let configuration = ExperimentConfiguration(environmentID: "Branin-v0",
                                                    environmentOptions: EnvironmentOptions(values: ["delay": "0.005"]),
                                                    agentID: "random-walker", seed: 21,
                                                    budget: Budget(evaluations: 90), batchSize: 4, usesCache: false)
        let (_, uninterrupted) = try run(configuration)

        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let runner = ExperimentRunner(registry: Catalog.registry, store: store)
        let stopped = try runner.run(configuration) { progress in
            if progress.completed >= 30 { runner.requestStop() }
        }
        #expect(stopped.status == .interrupted)
        #expect(try store.experiment(stopped.experimentID).status == .interrupted)
        let partial = try store.trialCount(experiment: stopped.experimentID)
        #expect(partial >= 30 && partial < 90)

        let resumed = try ExperimentRunner(registry: Catalog.registry, store: store).resume(stopped.experimentID)
        #expect(resumed.status == .completed)
        let trials = try store.trials(experiment: stopped.experimentID).map(TrialFingerprint.init)
        #expect(trials.map(\.number) == Array(0..<90))
        #expect(trials == uninterrupted)
        #expect(throws: ExperimentError.alreadyComplete(stopped.experimentID)) {
            try ExperimentRunner(registry: Catalog.registry, store: store).resume(stopped.experimentID)
        }
    }

    @Test func aTimeBudgetStopsTheExperiment() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let (summary, trials) = try run(ExperimentConfiguration(
            environmentID: "Branin-v0", environmentOptions: EnvironmentOptions(values: ["delay": "0.01"]), agentID: "random",
            budget: Budget(seconds: 0.3), batchSize: 2, usesCache: false), store: store)
        #expect(summary.status == .completed)
        // About 30 evaluations of 10 ms fit in 0.3 s; scheduling makes the count vary, never reach 300.
        #expect(trials.count >= 2 && trials.count < 300)
        #expect(try store.experiment(summary.experimentID).elapsedSeconds >= 0.3)
    }

    @Test func badSettingsAreRejectedBeforeAnythingRuns() throws {
        let store = try TrajectoryStore()
        let runner = ExperimentRunner(registry: Catalog.registry, store: store)
        let base = ExperimentConfiguration(environmentID: "Branin-v0", agentID: "random", budget: Budget(evaluations: 5))
        var configuration = base
        configuration.batchSize = 0
        #expect(throws: ExperimentError.self) { try runner.run(configuration) }
        configuration = base
        configuration.budget = Budget()
        #expect(throws: ExperimentError.self) { try runner.run(configuration) }
        configuration = base
        configuration.environmentID = "Nope-v0"
        #expect(throws: RegistryError.self) { try runner.run(configuration) }
        configuration = base
        configuration.agentID = "oracle"
        #expect(throws: RegistryError.self) { try runner.run(configuration) }
        configuration = base
        configuration.hyperparameters = ["feasible_only": "maybe"]
        #expect(throws: DesignError.self) { try runner.run(configuration) }
        configuration = base
        configuration.objective = .metric("speed", .maximize)
        #expect(throws: ObjectiveError.self) { try runner.run(configuration) }
        configuration = base
        configuration.environmentOptions.workload = "huge"
        #expect(throws: EnvironmentError.self) { try runner.run(configuration) }
        #expect(try store.experiments().isEmpty)
    }

    @Test func anAgentThatSuggestsInvalidDesignsFailsTheExperimentWithTheReason() throws {
        final class Broken: Agent {
            func suggest(_ count: Int) throws -> [Design] { Array(repeating: Design(["x1": 99]), count: count) }
            func observe(_ trials: [Trial]) throws {}
            func checkpoint() throws -> Data { Data() }
            func restore(_ checkpoint: Data) throws {}
        }
        var registry = Catalog.registry
        registry.register(AgentEntry(id: "broken", summary: "suggests nonsense", hyperparameters: ParameterSpace([])) { _ in Broken() })
        let store = try TrajectoryStore()
        let runner = ExperimentRunner(registry: registry, store: store)
        #expect(throws: ExperimentError.self) {
            try runner.run(ExperimentConfiguration(environmentID: "Branin-v0", agentID: "broken", budget: Budget(evaluations: 3)))
        }
        let record = try #require(try store.experiments().first)
        #expect(record.status == .failed)
        #expect(record.error?.contains("agent 'broken' suggested an invalid design") == true)
    }

    @Test func progressIsReportedUpToTheBudget() throws {
        let seen = Progress()
        let store = try TrajectoryStore()
        _ = try ExperimentRunner(registry: Catalog.registry, store: store).run(
            ExperimentConfiguration(environmentID: "Ackley-v0", agentID: "random", budget: Budget(evaluations: 25), batchSize: 5)
        ) { seen.record($0) }
        #expect(seen.last?.completed == 25)
        #expect(seen.last?.total == 25)
        #expect(seen.last?.bestReward != nil)
    }

    @Test func analysisFindsBestAndCurve() {
        let trials = [3.0, 1.0, 5.0, 2.0].enumerated().map { index, reward in
            Trial(number: index, design: Design([:]), evaluation: Evaluation(metrics: [:]), reward: reward)
        } + [Trial(number: 4, design: Design([:]), evaluation: .unsuccessful(.failed, message: "x"), reward: nil)]
        #expect(Analysis.best(trials)?.number == 2)
        #expect(Analysis.bestSoFar(trials) == [3, 3, 5, 5, 5])
        #expect(Analysis.top(trials, count: 2).map(\.number) == [2, 0])
    }
}

final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshots: [ExperimentProgress] = []
    func record(_ progress: ExperimentProgress) {
        lock.lock()
        snapshots.append(progress)
        lock.unlock()
    }
    var last: ExperimentProgress? {
        lock.lock()
        defer { lock.unlock() }
        return snapshots.last
    }
}
