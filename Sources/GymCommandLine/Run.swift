import ArgumentParser
import Dispatch
import Experiments
import Foundation
import GymCore
import GymStore
import ProxyModels
import GymTransport

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an agent on an environment, logging every trial to the database.",
        discussion: """
            Without a budget, runs 200 evaluations. Ctrl-C stops after the current batch; the experiment can \
            then be continued with --resume. Same seed, environment, agent and settings give identical trials. \
            Exits 0 when the run completes, 130 or 143 when Ctrl-C or SIGTERM stopped it, 2 when it completed \
            but no trial was ok, 75 when the server of --remote could not be reached for --remote-timeout seconds \
            (the experiment is interrupted: --resume finishes it), 1 on an error. With --progress jsonl, standard \
            output holds JSON lines only: progress records, then the summary as a record with "type": "summary".
            Examples:
              gym run --env Branin-v0 --agent random --budget 200 --seed 1
              gym run --env Knapsack-v0 --agent random-walker -H restart_probability=0.05 \\
                  --time-limit 30s
              gym run --env ZDT1-v0 --agent random --objective pareto:f1:min,f2:min \\
                  --batch-size 8 --parallel 2
              gym run --env MemoryController-v0 --agent genetic --budget 400 --workers 4
              gym run --resume 3
            """)

    @Option(name: .customLong("env"), help: "Environment id (see `gym list`).")
    var environment: String = "Branin-v0"

    @Option(help: "Agent id (see `gym list`).")
    var agent: String = "random"

    @Option(name: [.customShort("H"), .customLong("hyperparameter")],
            help: ArgumentHelp("Agent hyperparameter KEY=VALUE (repeatable); the rest take their defaults.", valueName: "key=value"))
    var hyperparameters: [String] = []

    @Option(parsing: .unconditional, help: "Budget in evaluations (default 200 when no --time-limit is given).")
    var budget: Int?

    @Option(parsing: .unconditional, help: "Budget in wall-clock time: 90, 90s, 10m or 2h.")
    var timeLimit: String?

    @Option(parsing: .unconditional, help: "Designs suggested and evaluated per round (default 1, or the number of --workers).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Evaluations run at once, each on a thread of its own (default 1; the number of --workers; with --remote, the batch size).")
    var parallel: Int?

    @Option(parsing: .unconditional, help: "Master seed, a whole number from 0 to 2^64 − 1; the agent's and environment's seeds derive from it.")
    var seed: UInt64 = 0

    @Option(help: "A label stored with the experiment.")
    var name: String?

    @Flag(help: "Evaluate every design even if the same configuration evaluated it before.")
    var noCache = false

    @Option(parsing: .unconditional, help: "Continue the stopped or killed experiment with this id to its budget (other settings are the stored ones).")
    var resume: Int64?

    @Option(help: "Progress display: \(ProgressStyle.allCases.map(\.rawValue).joined(separator: ", ")).")
    var progress: ProgressStyle = .auto

    @OptionGroup var placement: PlacementOptions
    @OptionGroup var selection: EnvironmentSelection
    @OptionGroup var objectiveSelection: ObjectiveSelection
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        if let budget, budget < 1 { throw ValidationError("--budget is a number of evaluations of at least 1, not \(budget)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1, not \(parallel)") }
        if let timeLimit { _ = try parseDuration(timeLimit) }
    }

    func run() throws {
        let store = try reportingErrors { try TrajectoryStore(path: database.path) }
        defer { store.close() }
        let evaluations = try placement.make()
        defer { evaluations.stop() }
        let registry = evaluations.registry
        let runner = ExperimentRunner(registry: registry, store: store)
        // Without workers, the time limit is checked by the simulation itself (it stops at its next check).
        runner.evaluationTimeout = placement.evaluationTimeoutHere
        let reporter = ProgressReporter(style: progress)
        let signals = ReceivedSignal()
        let interrupt = installInterruptHandler(runner, signals)
        defer { interrupt.forEach { $0.cancel() } }

        let summary = try reportingErrors { () -> ExperimentSummary in
            if let resume {
                return try runner.resume(resume) { reporter.update($0) }
            }
            let entry = try registry.environment(environment)
            let options = try selection.environmentOptions()
            let made = try entry.make(options)
            let spec = made.spec
            if objectiveSelection.objective == nil, objectiveSelection.targets.isEmpty, let note = (made as? ProxyEnvironment)?.objectiveNote {
                FileHandle.standardError.write(Data("Note: \(note).\n".utf8))
            }
            let batch = batchSize ?? placement.workers ?? 1
            let configuration = ExperimentConfiguration(
                environmentID: environment, environmentOptions: options, objective: try objectiveSelection.objective(for: spec),
                agentID: agent, hyperparameters: try keyValues(hyperparameters, what: "--hyperparameter").mapValues(parameterValue),
                seed: seed, budget: Budget(evaluations: budget ?? (timeLimit == nil ? 200 : nil), seconds: try timeLimit.map(parseDuration)),
                batchSize: batch, parallelism: parallel ?? placement.workers ?? (placement.remote != nil ? batch : 1), usesCache: !noCache, name: name)
            return try runner.run(configuration) { reporter.update($0) }
        }
        reporter.finish()
        if progress == .jsonl {
            try printSummaryRecord(summary, store: store)
        } else {
            try printSummary(summary, store: store)
        }
        if summary.status == .interrupted, let number = signals.first {
            throw ExitCode(128 + number)  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
        }
        if let interruption = summary.interruption {
            // A transport fault, not a result: nothing was recorded for the designs in flight.
            FileHandle.standardError.write(Data("Error: experiment \(summary.experimentID) stopped: \(interruption). Nothing was recorded for the designs in flight; continue it with gym run --resume \(summary.experimentID) --db \(database.path)\n".utf8))
            throw ExitCode(75)  // EX_TEMPFAIL: try again later
        }
        if summary.status == .completed, summary.trials > 0, summary.okTrials == 0 {
            let message = "No trial of experiment \(summary.experimentID) was ok: \(summary.trials) trials, \(summary.firstFailure ?? "no message"); see gym show \(summary.experimentID) --db \(database.path)"
            FileHandle.standardError.write(Data(("Error: " + message + "\n").utf8))
            throw ExitCode(2)
        }
    }

    /// The summary as one JSON line, for `--progress jsonl`.
    private func printSummaryRecord(_ summary: ExperimentSummary, store: TrajectoryStore) throws {
        var record: [String: JSONValue] = [
            "type": "summary", "experiment": .number(Double(summary.experimentID)), "status": .string(summary.status.rawValue),
            "trials": .number(Double(summary.trials)), "ok_trials": .number(Double(summary.okTrials)),
            "cache_hits": .number(Double(summary.cacheHits)), "elapsed": .number(summary.elapsed), "database": .string(database.path),
        ]
        if summary.status == .interrupted { record["resume"] = .string("gym run --resume \(summary.experimentID) --db \(database.path)") }
        if let interruption = summary.interruption { record["interruption"] = .string(interruption) }
        if let best = summary.best {
            record["best"] = .object(["trial": .number(Double(best.number)), "reward": best.reward.map(JSONValue.number) ?? .null,
                                      "design": RemoteEnvironment.json(best.design),
                                      "metrics": .object(best.evaluation.metrics.mapValues(JSONValue.number))])
        }
        let stored = try store.experiment(summary.experimentID)
        if stored.objective.kind == .pareto {
            let front = ResultText.front(try store.trials(experiment: summary.experimentID), objective: stored.objective)
            record["front"] = .array(front.trials.map(ResultText.json))
            record["hypervolume"] = front.hypervolume.map(JSONValue.number) ?? .null
        }
        FileHandle.standardOutput.write(JSONValue.object(record).jsonData + Data("\n".utf8))
    }

    private func printSummary(_ summary: ExperimentSummary, store: TrajectoryStore) throws {
        let record = try store.experiment(summary.experimentID)
        let id = summary.experimentID
        var line = "Experiment \(id): \(summary.status.rawValue), \(summary.trials) trials in \(formatDuration(summary.elapsed))"
        if summary.cacheHits > 0 { line += " (\(summary.cacheHits) from the cache)" }
        print(line)
        if record.objective.kind == .pareto {
            // Several goals: the front and its hypervolume, not the first goal's best alone.
            let front = ResultText.front(try store.trials(experiment: id), objective: record.objective)
            if front.trials.isEmpty {
                print("No trial has a reward yet.")
            } else {
                print("Pareto front (\(record.objective)): \(front.trials.count) design(s), hypervolume \(formatNumber(front.hypervolume)) "
                      + "(\(ResultText.hypervolumeDefinition(dimension: record.objective.dimension)))")
                let shown = 10
                printTable(ResultText.frontRows(front, objective: record.objective, spec: record.environmentSpec, limit: shown))
                if front.trials.count > shown { print("  … \(front.trials.count - shown) more: gym show \(id) --db \(database.path)") }
            }
        } else if let best = summary.best {
            print("Best reward \(formatNumber(best.reward)) (\(record.objective)) at trial \(best.number):")
            print("  design  \(best.design.canonicalJSON)")
            let metrics = record.environmentSpec.metrics.compactMap { spec in
                best.evaluation.metrics[spec.name].map { "\(spec.name)=\(formatNumber($0))" + (spec.unit == "1" ? "" : " \(spec.unit)") }
            }
            let shown = 8
            let more = metrics.count > shown ? ", … (\(metrics.count - shown) more: gym show \(id) --db \(database.path))" : ""
            print("  metrics \(metrics.prefix(shown).joined(separator: ", "))\(more)")
        } else {
            print("No trial has a reward yet.")
        }
        if summary.status == .interrupted { print("Continue it with: gym run --resume \(id) --db \(database.path)") }
        print("Results in \(database.path): gym show \(id) --db \(database.path) · gym export --experiment \(id) --db \(database.path) --out results.csv")
    }

    /// Ctrl-C (SIGINT) or SIGTERM stops the run after the current batch, leaving it resumable; a second
    /// signal ends the process at once (still losing no committed trial).
    private func installInterruptHandler(_ runner: ExperimentRunner, _ signals: ReceivedSignal) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nStopping after the current batch (signal again to quit at once)...\n".utf8))
                signals.record(number)
                ClientInterruption.request()
                runner.requestStop()
                signal(number, SIG_DFL)
            }
            source.resume()
            return source
        }
    }
}

/// The first termination signal a command received.
final class ReceivedSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var number: Int32?

    func record(_ signal: Int32) {
        lock.lock()
        if number == nil { number = signal }
        lock.unlock()
    }

    var first: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return number
    }
}
