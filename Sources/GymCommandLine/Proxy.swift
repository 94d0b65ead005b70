import ArgumentParser
import Dispatch
import Foundation
import GymCore
import GymStore
import ProxyModels

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train proxy cost models on logged trials, and check them against the real environment.",
        discussion: """
            A trained proxy is an environment itself: gym run --env Proxy:<file> ... searches it like any other.
            Examples:
              gym run --env MemoryController-v0 --agent random --budget 2000
              gym proxy train --env MemoryController-v0 --metric power \\
                  --metric read_latency_avg --out dram.proxy.json
              gym proxy eval dram.proxy.json --designs 200
              gym run --env Proxy:dram.proxy.json --agent genetic --budget 5000
              gym proxy verify 3 --top 10    # its best designs, simulated for real
            """,
        subcommands: [ProxyTrain.self, ProxyEval.self, ProxyVerify.self])
}

/// Per-metric scores as a table.
func printScores(_ scores: [(String, Scores)], heading: String) {
    print(heading)
    let width = max(8, scores.map(\.0.count).max() ?? 0)
    print("  " + "metric".padding(toLength: width, withPad: " ", startingAt: 0)
          + "       n         RMSE   RMSE/range      MAPE        R²   Kendall τ")
    for (metric, s) in scores {
        print("  " + metric.padding(toLength: width, withPad: " ", startingAt: 0)
              + String(format: "  %6d  %11.5g  %10.3f %%  %7.2f %%  %8.4f  %10.4f", s.count, s.rmse, 100 * s.normalizedRMSE,
                       100 * s.mape, s.r2, s.kendallTau))
    }
}

struct ProxyTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a proxy of an environment's metrics from the trials in the database.",
        discussion: """
            Uses every ok, uncached trial of the environment's experiments (same workload and options), each \
            distinct design once. Scores are on held-out designs: RMSE, RMSE over the range of the true values \
            (ArchGym's "RMSE %"), MAPE, R² and Kendall's τ between predicted and true rankings. With --folds, \
            k-fold cross-validation; with --hold-out-agent, the test set is that agent's designs and the \
            training set everyone else's (ArchGym's dataset-diversity study). The saved model is trained on \
            all rows.

            With --distil N the trained model is a teacher: it labels N designs drawn at random from the space, and \
            a small oblivious-boosting model (the student, set with -S name=value) learns from those labels and the \
            real rows. The student is scored on the same held-out designs, printed next to its teacher, and saved: \
            it keeps most of the teacher's accuracy at a fraction of its prediction time.

            Hyperparameters (-H name=value, repeatable), with their defaults:
            \(hyperparameterHelp)
            Examples:
              gym proxy train --env MemoryController-v0 --metric power --model boosted \\
                  -H rounds=500 -H max_depth=8
              gym proxy train --env MemoryController-v0 --metric power --model oblivious \\
                  -H rounds=3000 --distil 300000 -S rounds=300 -S depth=10
            """)

    static var hyperparameterHelp: String {
        Regressor.Kind.allCases.map { kind in
            "  \(kind.rawValue):\n" + Regressor.hyperparameters(of: kind).map { wrapped("\($0.name)=\($0.defaultValue)  \($0.help)", indent: "    ", hanging: "        ") }
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    @Option(name: .customLong("env"), help: "Environment id whose trials to learn from.")
    var environment: String

    @Option(help: "Workload (default: the environment's default).")
    var workload: String?

    @Option(name: .customLong("option"), help: ArgumentHelp("Environment option KEY=VALUE the experiments used (repeatable).", valueName: "key=value"))
    var options: [String] = []

    @Option(name: .customLong("metric"), help: "Metric to learn (repeatable; all when omitted).")
    var metrics: [String] = []

    @Option(help: "Regressor: \(Regressor.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: String = "forest"

    @Option(name: [.customShort("H"), .customLong("hyperparameter")],
            help: ArgumentHelp("A hyperparameter of the model (repeatable; see below).", valueName: "name=value"))
    var hyperparameters: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Distil the model into a fast oblivious-boosting student: the model (the teacher) labels this many random designs, and the student learns from them and the real rows. The student is saved.", valueName: "designs"))
    var distil: Int?

    @Option(name: [.customShort("S"), .customLong("student-hyperparameter")],
            help: ArgumentHelp("A hyperparameter of the distilled student, an oblivious model (repeatable; see below).", valueName: "name=value"))
    var studentHyperparameters: [String] = []

    @Option(name: .customLong("experiment"), help: "Only these experiments (repeatable).")
    var experiments: [Int64] = []

    @Option(name: .customLong("agent"), help: "Only experiments of these agents (repeatable).")
    var agents: [String] = []

    @Flag(help: "Learn log(metric) (for metrics spanning orders of magnitude; they must be positive).")
    var logTargets = false

    @Option(parsing: .unconditional, help: "Fraction of designs held out for scoring.")
    var testFraction: Double = 0.2

    @Option(parsing: .unconditional, help: "Score by k-fold cross-validation instead of one hold-out.")
    var folds: Int?

    @Option(help: "Hold out this agent's designs for scoring and train on the others'.")
    var holdOutAgent: String?

    @Option(parsing: .unconditional, help: "Seed of the split and the model.")
    var seed: UInt64 = 0

    @Option(help: "Where to save the proxy (default Logs/<env>.proxy.json).")
    var out: String?

    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            guard let kind = Regressor.Kind(rawValue: model) else {
                throw CLIError("--model must be one of \(Regressor.Kind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(model)'")
            }
            let values = try keyValues(options, what: "--option")
            let given = try keyValues(hyperparameters, what: "-H")
            let settings = try Regressor.settings(kind, hyperparameters: given)
            let studentGiven = try keyValues(studentHyperparameters, what: "-S")
            if let distil, distil < 1 { throw CLIError("--distil must be at least 1 design, not \(distil)") }
            if distil == nil && !studentGiven.isEmpty { throw CLIError("-S sets the student of --distil; give --distil N too") }
            let studentSettings = try Regressor.settings(.oblivious, hyperparameters: studentGiven)
            let environmentOptions = EnvironmentOptions(workload: workload, values: values)
            let store = try TrajectoryStore(path: database.path, access: .readOnly)
            // A registered environment's spec now; a simulator only a study's client knows (such as
            // Queue-v1), the spec its experiments stored.
            let spec: EnvironmentSpec
            if (try? CommandLineRegistry.current.environment(environment)) != nil {
                spec = try CommandLineRegistry.current.makeEnvironment(environment, options: environmentOptions).spec
            } else if let stored = try store.experiments(environment: environment).last(where: { workload == nil || $0.workload == workload }) {
                spec = stored.environmentSpec
            } else {
                throw CLIError("\(environment) is neither a registered environment nor one with experiments in \(database.path)")
            }
            let chosen = metrics.isEmpty ? spec.metrics.map(\.name) : metrics
            for metric in chosen where spec.metric(named: metric) == nil {
                throw CLIError("\(environment) has no metric '\(metric)'; its metrics are: \(spec.metrics.map(\.name).joined(separator: ", "))")
            }
            let matching = try store.experiments(environment: environment).filter { record in
                record.workload == spec.workload && record.environmentOptions.values == values
                    && (experiments.isEmpty || experiments.contains(record.id ?? -1))
                    && (agents.isEmpty || agents.contains(record.agentID))
            }
            guard !matching.isEmpty else {
                throw CLIError("no experiments of \(environment) (workload \(spec.workload)\(values.isEmpty ? "" : ", options \(values)")) in \(database.path) match; run some first with gym run --env \(environment)")
            }
            // A command environment whose spec or scripts changed since measures something else: only
            // experiments of the current revision train its proxy.
            let records = matching.filter { $0.environmentSpec.revision == spec.revision }
            guard !records.isEmpty else {
                throw CLIError("the \(matching.count) matching experiment(s) of \(environment) ran an earlier revision of it (its spec or the files it depends on changed since); run some with the current one first")
            }
            var trialsByAgent: [(agent: String, trials: [Trial])] = []
            for record in records { trialsByAgent.append((record.agentID, try store.trials(experiment: record.id!, statuses: [.ok]))) }
            let all = try Dataset(trials: trialsByAgent.flatMap(\.trials), space: spec.space, metrics: chosen, logTargets: logTargets)
            guard all.count >= 10 else { throw CLIError("only \(all.count) distinct ok designs logged; a proxy needs at least 10") }
            print("Training \(kind.rawValue) proxies of \(chosen.joined(separator: ", ")) on \(all.count) designs from \(records.count) experiment(s)")

            // Scoring splits.
            var splits: [(train: Dataset, test: Dataset)] = []
            if let holdOutAgent {
                // A design the held-out agent also tried is test data only: it never sits on both sides.
                let test = try Dataset(trials: trialsByAgent.filter { $0.agent == holdOutAgent }.flatMap(\.trials), space: spec.space, metrics: chosen, logTargets: logTargets)
                let train = try Dataset(trials: trialsByAgent.filter { $0.agent != holdOutAgent }.flatMap(\.trials), space: spec.space, metrics: chosen,
                                        logTargets: logTargets, excluding: Set(test.designHashes))
                guard train.count >= 10, test.count >= 1 else { throw CLIError("--hold-out-agent \(holdOutAgent) leaves \(train.count) training and \(test.count) test designs") }
                splits = [(train, test)]
            } else if let folds {
                guard folds >= 2 else { throw CLIError("--folds must be at least 2") }
                splits = Split.kFold(count: all.count, folds: folds, seed: seed).map { (all.subset($0.train), all.subset($0.test)) }
            } else {
                guard testFraction > 0, testFraction < 1 else { throw CLIError("--test-fraction must be between 0 and 1") }
                let split = Split.holdOut(count: all.count, testFraction: testFraction, seed: seed)
                splits = [(all.subset(split.train), all.subset(split.test))]
            }
            // The teacher's random designs, the same for every split and metric.
            let synthetic = distil.map { Distillation.designs($0, space: spec.space, seed: seed) } ?? []
            func output(_ value: Double) -> Double { logTargets ? Foundation.exp(value) : value }
            var validation: [(String, Scores)] = [], teacherValidation: [(String, Scores)] = []
            // Progress on standard error: training a large teacher and its student takes minutes.
            let started = Date()
            func progress(_ text: String) {
                FileHandle.standardError.write(Data(String(format: "  [%5.0f s] %@\n", Date().timeIntervalSince(started), text).utf8))
            }
            for metric in chosen {
                var predicted: [Double] = [], taught: [Double] = [], truth: [Double] = []
                for (number, (train, test)) in splits.enumerated() {
                    let part = splits.count > 1 ? ", fold \(number + 1) of \(splits.count)" : ""
                    progress("\(metric)\(part): training the \(kind.rawValue) model on \(train.count) designs")
                    let model = try Regressor.train(settings, x: train.features, y: train.targets[metric]!, seed: seed)
                    taught += test.features.map { output(model.predict($0)) }
                    if let distil {
                        progress("\(metric)\(part): the model labels \(distil) random designs; training the student")
                        let student = try Distillation.student(studentSettings, teacher: model, synthetic: synthetic,
                                                               x: train.features, y: train.targets[metric]!, seed: seed)
                        predicted += test.features.map { output(student.predict($0)) }
                    }
                    truth += test.targets[metric]!.map(output)
                }
                teacherValidation.append((metric, Scores(predicted: taught, truth: truth)))
                validation.append((metric, Scores(predicted: distil == nil ? taught : predicted, truth: truth)))
            }
            let how = holdOutAgent.map { "designs of agent \($0), trained on the others" } ?? folds.map { "\($0)-fold cross-validation" }
                ?? "\(Int(testFraction * 100)) % of the designs held out"
            if let distil {
                printScores(teacherValidation, heading: "Teacher (\(kind.rawValue)) scores on \(how):")
                printScores(validation, heading: "Student (oblivious, distilled on \(distil) designs) scores on \(how):")
            } else {
                printScores(validation, heading: "Scores on \(how):")
            }

            var models: [String: Regressor] = [:]
            for metric in chosen {
                progress("\(metric): the saved \(distil == nil ? "model" : "teacher and student"), on all \(all.count) designs")
                let model = try Regressor.train(settings, x: all.features, y: all.targets[metric]!, seed: seed)
                models[metric] = distil == nil ? model
                    : try Distillation.student(studentSettings, teacher: model, synthetic: synthetic, x: all.features, y: all.targets[metric]!, seed: seed)
            }
            let record = distil.map {
                Distillation.Record(teacher: kind, teacherHyperparameters: given, designs: $0, teacherValidation: Dictionary(uniqueKeysWithValues: teacherValidation))
            }
            let file = ProxyFile(environment: spec, options: values, kind: distil == nil ? kind : .oblivious,
                                 hyperparameters: distil == nil ? given : studentGiven, logTargets: logTargets, models: models,
                                 trainingRows: all.count, experiments: records.compactMap(\.id), agents: Array(Set(records.map(\.agentID))).sorted(),
                                 validation: Dictionary(uniqueKeysWithValues: validation), seed: seed, distillation: record)
            let path = out ?? "Logs/\(spec.name).proxy.json"
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.save(to: path)
            print("Saved \(path). Search it with: gym run --env \(ProxyEnvironment.prefix)\(path) --agent random")
        }
    }
}

struct ProxyEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Compare a proxy with its real environment on fresh random designs.",
        discussion: "Example: gym proxy eval Logs/MemoryController.proxy.json --designs 200 --seed 1")

    @Argument(help: "The proxy file.")
    var file: String

    @Option(parsing: .unconditional, help: "Fresh random designs to compare on.")
    var designs: Int = 100

    @Option(parsing: .unconditional, help: "Seed of the designs.")
    var seed: UInt64 = 1

    func run() throws {
        try reportingErrors {
            let proxy = try CommandLineRegistry.current.makeEnvironment(ProxyEnvironment.prefix + file) as! ProxyEnvironment
            let file = proxy.proxy
            let real = try CommandLineRegistry.current.makeEnvironment(
                file.environment, options: EnvironmentOptions(workload: file.workload, values: file.options))
            var generator = SeededGenerator(seed: seed)
            let fresh = (0..<designs).map { _ in real.spec.space.sample(using: &generator) }
            // The simulator and the proxy each run over all designs back to back, as a search on either would.
            let actual = fresh.map { real.measure($0) }
            let guesses = fresh.map { proxy.measure($0) }
            var predicted: [String: [Double]] = [:], truth: [String: [Double]] = [:]
            var proxyTime = 0.0, realTime = 0.0
            for (actual, guess) in zip(actual, guesses) where actual.status == .ok && guess.status == .ok {
                realTime += actual.wallTime
                proxyTime += guess.wallTime
                for metric in file.metrics {
                    predicted[metric, default: []].append(guess.metrics[metric]!)
                    truth[metric, default: []].append(actual.metrics[metric]!)
                }
            }
            printScores(file.metrics.map { ($0, Scores(predicted: predicted[$0] ?? [], truth: truth[$0] ?? [])) },
                        heading: "\(file.kind.rawValue) proxy of \(file.environment) on \(designs) fresh designs:")
            if proxyTime > 0 {
                print(String(format: "Time per evaluation: proxy %.3g ms, simulator %.3g ms (the proxy is %.3g× faster)",
                             proxyTime / Double(designs) * 1000, realTime / Double(designs) * 1000, realTime / proxyTime))
                // The model alone, in a hot loop over the encoded designs: what a search calling the model
                // directly pays, without an evaluation record around each prediction.
                let encoded = fresh.map { real.spec.space.unitVector($0) }
                var repeats = 0, checksum = 0.0
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed = 0.0
                repeat {
                    for features in encoded { for value in file.predict(features).values { checksum += value } }
                    repeats += 1
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                } while elapsed < 0.2
                let perDesign = elapsed / Double(repeats * encoded.count)
                print(String(format: "The model alone predicts all %d metrics of a design in %.3g µs: %.0f× faster than the simulator%@",
                             file.metrics.count, perDesign * 1e6, realTime / Double(designs) / perDesign, checksum.isNaN ? " (NaN predicted)" : ""))
            }
        }
    }
}

struct ProxyVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Hybrid mode: simulate the best designs of a search on a proxy with the real environment.",
        discussion: """
            Takes the experiment's best distinct designs by predicted reward, evaluates each on the environment \
            the proxy stands for, and prints predicted against real reward, best real first. The real \
            evaluations are logged as a new experiment of that environment (agent proxy-verify), so the next \
            gym proxy train learns from them: searching the proxy, verifying and retraining is an active-learning loop.
            Example: gym run --env Proxy:dram.proxy.json --agent genetic --budget 5000 && gym proxy verify 1 --top 10
            """)

    @Argument(help: "The experiment that searched a Proxy:<file> environment.")
    var experiment: Int64

    @Option(parsing: .unconditional, help: "How many of its best designs to simulate.")
    var top: Int = 10

    @Flag(help: "Do not log the real evaluations to the database.")
    var noLog = false

    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            let store = try TrajectoryStore(path: database.path)
            defer { store.close() }
            let record = try store.experiment(experiment)
            guard record.environmentID.hasPrefix(ProxyEnvironment.prefix) else {
                throw CLIError("experiment \(experiment) searched \(record.environmentID), not a \(ProxyEnvironment.prefix)<file> environment")
            }
            let proxy = try ProxyFile.load(String(record.environmentID.dropFirst(ProxyEnvironment.prefix.count)))
            let real = try CommandLineRegistry.current.makeEnvironment(proxy.environment, options: EnvironmentOptions(workload: proxy.workload, values: proxy.options))
            let objective = try record.objective.resolved(against: real.spec.metrics)
            var seen = Set<String>()
            let best = try store.trials(experiment: experiment, statuses: [.ok])
                .filter { $0.reward != nil }
                .sorted { ($0.reward!, -$0.number) > ($1.reward!, -$1.number) }
                .filter { seen.insert($0.design.hash).inserted }
                .prefix(max(1, top))
            guard !best.isEmpty else { throw CLIError("experiment \(experiment) has no rewarded trials") }
            var rows: [(trial: Trial, real: Evaluation, reward: Double?)] = []
            var logged: [Trial] = []
            for trial in best {
                let started = Date()
                let evaluation = real.measure(trial.design)
                rows.append((trial, evaluation, objective.reward(for: evaluation)))
                logged.append(Trial(number: logged.count, design: trial.design, evaluation: evaluation,
                                    reward: objective.reward(for: evaluation), rewards: objective.rewards(for: evaluation),
                                    startedAt: started, finishedAt: Date()))
            }
            var loggedAs: Int64?
            if !noLog {
                let verification = ExperimentRecord(
                    name: "proxy verify of experiment \(experiment)", environmentSpec: real.spec,
                    environmentOptions: EnvironmentOptions(workload: proxy.workload, values: proxy.options), objective: objective,
                    agentID: "proxy-verify", hyperparameters: Design(["experiment": .int(Int(experiment)), "top": .int(top)]),
                    seed: record.seed, budgetEvaluations: logged.count, budgetSeconds: nil, batchSize: logged.count, parallelism: 1,
                    usesCache: false, host: ProcessInfo.processInfo.hostName, softwareVersion: DesignGym.version)
                let id = try store.createExperiment(verification)
                try store.insertTrials(logged, experiment: id)
                try store.finishExperiment(id, status: .completed, elapsed: logged.reduce(0) { $0 + $1.evaluation.wallTime })
                loggedAs = id
            }
            rows.sort { ($0.reward ?? -.infinity) > ($1.reward ?? -.infinity) }
            print("The \(rows.count) best designs of experiment \(experiment) on \(proxy.environment) (\(record.objective)):")
            print("  trial  predicted reward  real reward  design")
            for row in rows {
                print("  " + String(row.trial.number).padding(toLength: 5, withPad: " ", startingAt: 0)
                      + "  " + formatNumber(row.trial.reward!).padding(toLength: 16, withPad: " ", startingAt: 0)
                      + "  " + (row.reward.map(formatNumber) ?? row.real.status.rawValue).padding(toLength: 11, withPad: " ", startingAt: 0)
                      + "  " + row.trial.design.canonicalJSON)
            }
            let predicted = rows.map { $0.trial.reward! }, actual = rows.map { $0.reward ?? -.infinity }
            if rows.count > 2 { print(String(format: "Kendall τ between predicted and real rewards of these designs: %.3f", Scores.kendallTau(predicted, actual))) }
            if let loggedAs {
                print("Logged the real evaluations as experiment \(loggedAs) (agent proxy-verify): gym show \(loggedAs); the next gym proxy train --env \(proxy.environment) learns from them.")
            }
        }
    }
}
