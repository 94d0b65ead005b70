import Foundation
import GymCore
import GymStore
import ProxyModels
import Testing

@Suite struct CLITests {
    @Test func versionAndHelpForEveryCommand() throws {
        let version = try GymProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == DesignGym.version)
        for command in ["list", "describe", "describe-agent", "serve", "run", "evaluate", "show", "export", "check"] {
            let help = try GymProcess.run([command, "--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.output.contains("Example"), "\(command) --help has an example")
        }
    }

    @Test func listAndDescribeAgreeWithTheRegistry() throws {
        let list = try GymProcess.run(["list", "--json"])
        #expect(list.status == 0)
        let listing = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(list.output.utf8))
        let environments = listing["environments"]!.map { $0["id"]! }
        #expect(environments.contains("Branin-v0") && environments.contains("ZDT1-v0"))
        #expect(listing["agents"]!.map { $0["id"]! }.contains("random-walker"))
        #expect(listing["families"]!.map { $0["id"]! } == ["Proxy:<file>", "Command:<spec file>"])
        #expect(try GymProcess.run(["list"]).output.contains("Proxy:<file>"))

        let describe = try GymProcess.run(["describe", "Knapsack-v0", "--json"])
        #expect(describe.status == 0)
        let spec = try JSONDecoder().decode(EnvironmentSpec.self, from: Data(describe.output.utf8))
        #expect(spec.id == "Knapsack-v0")
        #expect(spec.metrics.map(\.unit) == ["1", "kg"])
        #expect(spec.space.constraints.map(\.name) == ["capacity"])
        let text = try GymProcess.run(["describe", "Knapsack-v0"])
        #expect(text.output.contains("weight  [kg]  minimize"))
    }

    @Test func evaluatePrintsMetricsAsJSON() throws {
        let result = try GymProcess.run(["evaluate", "Branin-v0", "--design", #"{"x1": 3.14159265359, "x2_steps": 91}"#])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONDecoder().decode([String: JSONValue].self, from: Data(result.output.utf8))
        #expect(report["status"] == "ok")
        // Key names match the rest of DesignGym's evaluation JSON (the store, the protocol).
        #expect(report["wall_time"] != nil && report["design_hash"] != nil && report["wallTime"] == nil)
        guard case .object(let metrics) = report["metrics"], case .number(let value) = metrics["value"] else {
            Issue.record("no metrics in \(result.output)")
            return
        }
        #expect(abs(value - 5 / (4 * Double.pi)) < 1e-9)  // the Branin minimum, variant defaulted to standard
        guard case .object(let design) = report["design"] else { return }
        #expect(design["variant"] == "standard")
    }

    @Test func evaluateRunsOneSimulationStraightFromDRAMSysFiles() throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Environments/MemoryController/Resources")
        let folder = URL(fileURLWithPath: GymProcess.databasePath()).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trace = folder.appendingPathComponent("mixed.stl").path
        try (0..<400).map { "\($0 * 2):\t\($0 % 4 == 3 ? "write" : "read")\t0x\(String($0 * 64, radix: 16))" }
            .joined(separator: "\n").write(toFile: trace, atomically: true, encoding: .utf8)
        let mcconfig = folder.appendingPathComponent("mcconfig.json").path
        try #"{"mcconfig": {"PagePolicy": "Closed", "Scheduler": "Fifo", "SchedulerBuffer": "Shared", "RequestBufferSize": 4, "CmdMux": "Oldest", "RespQueue": "Fifo", "RefreshPolicy": "AllBank", "RefreshMaxPostponed": 2, "RefreshMaxPulledin": 2, "PowerDownPolicy": "NoPowerDown", "Arbiter": "Fifo", "MaxActiveTransactions": 16}}"#
            .write(toFile: mcconfig, atomically: true, encoding: .utf8)
        let result = try GymProcess.run([
            "evaluate", "MemoryController-v0", "--workload", trace,
            "--option", "memspec=\(resources.appendingPathComponent("memspecs/MICRON_1Gb_DDR3-1600_8bit_G.json").path)",
            "--option", "addressmapping=\(resources.appendingPathComponent("addressmappings/am_ddr3_8x1Gbx8_dimm_p1KB_rbc.json").path)",
            "--design", mcconfig,
        ])
        #expect(result.status == 0, "\(result.error)")
        let report = try JSONDecoder().decode([String: JSONValue].self, from: Data(result.output.utf8))
        #expect(report["status"] == "ok" && report["workload"] == .string(trace))
        guard case .object(let design) = report["design"], case .object(let metrics) = report["metrics"],
              case .object(let details) = report["details"] else {
            Issue.record("incomplete report: \(result.output)")
            return
        }
        #expect(design["PagePolicy"] == "Closed" && design["RequestBufferSize"] == 4 && design["MaxActiveTransactions"] == 16)
        #expect(details["memspec"] == "MICRON_1Gb_DDR3-1600_8bit_G" && details["reads"] == 300 && details["writes"] == 100)
        #expect(metrics["row_hit_rate"] == 0)  // closed page
        // A run's summary shows the first eight of the 23 metrics and says where the rest are.
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--env", "MemoryController-v0", "--workload", "uniform", "--option", "requests=200",
                                      "--budget", "2", "--db", db, "--progress", "none"])
        #expect(run.output.contains("power=") && run.output.contains("… (15 more: gym show 1 --db \(db))"), "\(run.output)")
        // A per-bank refresh is refused, naming the setting.
        try #"{"mcconfig": {"RefreshPolicy": "PerBank"}}"#.write(toFile: mcconfig, atomically: true, encoding: .utf8)
        let refused = try GymProcess.run(["evaluate", "MemoryController-v0", "--design", mcconfig])
        #expect(refused.status != 0 && refused.error.contains("PerBank"), "\(refused.error)")
        // A malformed trace line is refused before anything is simulated, with its line number.
        try "0: read 0x0\n1: raed 0x40\n".write(toFile: trace, atomically: true, encoding: .utf8)
        let malformed = try GymProcess.run(["evaluate", "MemoryController-v0", "--workload", trace, "--design", "{}"])
        #expect(malformed.status == 1 && malformed.error.contains("mixed.stl:2: the command is neither read nor write"), "\(malformed.output) \(malformed.error)")
    }

    @Test func badInputGetsAClearErrorAndANonZeroExit() throws {
        let outOfRange = try GymProcess.run(["evaluate", "Branin-v0", "--design", #"{"x1": 30}"#])
        #expect(outOfRange.status != 0)
        #expect(outOfRange.error.contains("parameter 'x1' cannot be 30; allowed: a real number from -5.0 to 10.0"))
        let unknown = try GymProcess.run(["describe", "Nope-v9"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("unknown environment 'Nope-v9'; the environments are: Branin-v0"))
        let objective = try GymProcess.run(["run", "--objective", "speed:max", "--db", GymProcess.databasePath()])
        #expect(objective.status != 0)
        #expect(objective.error.contains("unknown metric 'speed'"))
        let design = try GymProcess.run(["evaluate", "Branin-v0", "--design", "not-a-file.json"])
        #expect(design.error.contains("neither"))
    }

    @Test func runShowAndExportWorkTogether() throws {
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--env", "Knapsack-v0", "--agent", "random", "--budget", "40", "--seed", "3",
                                      "--batch-size", "4", "--db", db, "--progress", "none"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("Experiment 1: completed, 40 trials"))
        #expect(run.output.contains("Best reward"))
        #expect(run.output.contains(db))

        let show = try GymProcess.run(["show", "1", "--db", db])
        #expect(show.status == 0)
        #expect(show.output.contains("random on Knapsack-v0"))
        #expect(show.output.contains("Best designs"))
        let list = try GymProcess.run(["show", "--db", db])
        #expect(list.output.contains("40/40"))

        let out = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("trials.jsonl").path
        let export = try GymProcess.run(["export", "--format", "jsonl", "--status", "ok", "--out", out, "--db", db])
        #expect(export.status == 0, "\(export.error)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let store = try TrajectoryStore(path: db)
        #expect(lines.count == (try store.trials(experiment: 1, statuses: [.ok]).count))
        #expect(export.error.contains("Wrote \(lines.count) trials"))
    }

    @Test func theDefaultRunIsTwoHundredRandomEvaluationsOfBranin() throws {
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--db", db, "--progress", "none"])
        #expect(run.status == 0)
        let record = try TrajectoryStore(path: db).experiment(1)
        #expect(record.environmentID == "Branin-v0" && record.agentID == "random" && record.budgetEvaluations == 200)
        #expect(try TrajectoryStore(path: db).trialCount(experiment: 1) == 200)
    }

    @Test func aRunKilledWithSIGKILLLosesNoReportedTrialAndResumesExactly() throws {
        let budget = 300
        let arguments = ["run", "--env", "Branin-v0", "--agent", "random-walker", "--budget", String(budget), "--batch-size", "3",
                         "--seed", "5", "--option", "delay=0.004", "--progress", "jsonl"]
        let killedDB = GymProcess.databasePath()

        let (process, output) = try GymProcess.start(arguments + ["--db", killedDB])
        let reported = GymProcess.waitForProgress(output, atLeast: 60)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(reported >= 60 && reported < budget)

        let store = try TrajectoryStore(path: killedDB)
        let survived = try store.trials(experiment: 1)
        #expect(survived.count >= reported)
        #expect(try store.experiment(1).status == .running)  // it never got to say otherwise
        // But its process is gone, and gym show says so.
        let shown = try GymProcess.run(["show", "--db", killedDB])
        #expect(shown.output.contains("stale"), "\(shown.output)")
        let detail = try GymProcess.run(["show", "1", "--db", killedDB])
        #expect(detail.output.contains("stale — its process is gone (killed?); continue it with gym run --resume 1"), "\(detail.output)")

        let resume = try GymProcess.run(["run", "--resume", "1", "--db", killedDB, "--progress", "none"])
        #expect(resume.status == 0, "\(resume.error)")
        let resumed = try store.trials(experiment: 1)
        #expect(resumed.map(\.number) == Array(0..<budget))
        #expect(try store.experiment(1).status == .completed)

        let cleanDB = GymProcess.databasePath()
        let clean = try GymProcess.run(arguments.filter { $0 != "jsonl" && $0 != "--progress" } + ["--progress", "none", "--db", cleanDB])
        #expect(clean.status == 0)
        let reference = try TrajectoryStore(path: cleanDB).trials(experiment: 1)
        #expect(resumed.map(\.design) == reference.map(\.design))
        #expect(resumed.map(\.evaluation.metrics) == reference.map(\.evaluation.metrics))
        #expect(resumed.map(\.reward) == reference.map(\.reward))
    }

    @Test func aWorkerKilledMidEvaluationLosesAndDuplicatesNothing() throws {
        // Two local worker processes, each evaluation 0.4 s; one worker is SIGKILLed while both are busy.
        let arguments = ["run", "--env", "Branin-v0", "--agent", "random", "--budget", "12", "--seed", "4",
                         "--option", "delay=0.4", "--progress", "jsonl"]
        let db = GymProcess.databasePath()
        let (process, output) = try GymProcess.start(arguments + ["--workers", "2", "--db", db])
        #expect(GymProcess.waitForProgress(output, atLeast: 2) >= 2)
        let workers = GymProcess.children(of: process.processIdentifier)
        #expect(workers.count == 2, "worker processes: \(workers)")
        if let victim = workers.first { kill(victim, SIGKILL) }
        while !output.fileHandleForReading.availableData.isEmpty {}
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let trials = try TrajectoryStore(path: db).trials(experiment: 1)
        #expect(trials.map(\.number) == Array(0..<12))
        #expect(trials.allSatisfy { $0.evaluation.status == .ok })

        // The same run evaluated in this process, two at a time: the same trials.
        let localDB = GymProcess.databasePath()
        let local = try GymProcess.run(arguments.dropLast(2) + ["--batch-size", "2", "--parallel", "2", "--db", localDB, "--progress", "none"])
        #expect(local.status == 0, "\(local.error)")
        let reference = try TrajectoryStore(path: localDB).trials(experiment: 1)
        #expect(trials.map(\.design) == reference.map(\.design))
        #expect(trials.map(\.evaluation.metrics) == reference.map(\.evaluation.metrics))
    }

    @Test func anEvaluationPastItsTimeoutIsRecordedAndItsWorkerProcessReplaced() throws {
        // Each evaluation sleeps 3 s; the timeout is 0.5 s. Both trials are timeouts, and the run goes on
        // because the worker process restarts itself after each abandoned evaluation.
        let db = GymProcess.databasePath()
        let result = try GymProcess.run(["run", "--env", "Branin-v0", "--budget", "2", "--workers", "1", "--evaluation-timeout", "0.5",
                                         "--option", "delay=3", "--db", db, "--progress", "none"])
        // The run completes, and says (exit 2) that no trial was ok.
        #expect(result.status == 2, "\(result.error)")
        #expect(result.error.contains("No trial of experiment 1 was ok: 2 trials, the first (trial 0) timeout"), "\(result.error)")
        let trials = try TrajectoryStore(path: db).trials(experiment: 1)
        #expect(trials.map(\.evaluation.status) == [.timeout, .timeout])
        #expect(trials.allSatisfy { $0.evaluation.message?.contains("ran longer than 0.5 s") == true })
        #expect(trials.allSatisfy { $0.evaluation.wallTime < 2.5 })
    }

    @Test func aProxyTrainedOnLoggedTrialsIsSearchedLikeAnyEnvironment() throws {
        let db = GymProcess.databasePath()
        let logged = try GymProcess.run(["run", "--env", "Branin-v0", "--budget", "300", "--db", db, "--progress", "none"])
        #expect(logged.status == 0)
        let proxy = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("branin.proxy.json").path
        let train = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "--out", proxy, "--folds", "4"])
        #expect(train.status == 0, "\(train.error)")
        #expect(train.output.contains("on 300 designs from 1 experiment(s)") && train.output.contains("4-fold cross-validation"))
        let eval = try GymProcess.run(["proxy", "eval", proxy, "--designs", "50"])
        #expect(eval.status == 0, "\(eval.error)")
        #expect(eval.output.contains("forest proxy of Branin-v0 on 50 fresh designs"))
        #expect(eval.output.contains("The model alone predicts all 1 metrics of a design in"))
        let search = try GymProcess.run(["run", "--env", "Proxy:\(proxy)", "--agent", "genetic", "--budget", "40", "--db", db, "--progress", "none"])
        #expect(search.status == 0, "\(search.error)")
        #expect(search.output.contains("completed, 40 trials"))
        // Hybrid mode: the search's best designs, simulated for real.
        let verify = try GymProcess.run(["proxy", "verify", "2", "--top", "3", "--db", db])
        #expect(verify.status == 0, "\(verify.error)")
        #expect(verify.output.contains("The 3 best designs of experiment 2 on Branin-v0"))
        // Its real evaluations are logged as experiment 3, and the next training learns from them.
        #expect(verify.output.contains("Logged the real evaluations as experiment 3 (agent proxy-verify)"))
        let shown = try GymProcess.run(["show", "3", "--db", db])
        #expect(shown.status == 0 && shown.output.contains("proxy-verify"), "\(shown.error)")
        let retrain = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "--out", proxy,
                                          "--model", "boosted", "-H", "rounds=50", "-H", "max_depth=3"])
        #expect(retrain.status == 0, "\(retrain.error)")
        #expect(retrain.output.contains("from 2 experiment(s)"))
        #expect(try ProxyFile.load(proxy).hyperparameters == ["rounds": "50", "max_depth": "3"])
        // Distilled: an oblivious teacher labels 3,000 random designs for a 30-tree student, which is saved.
        let distilled = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "--out", proxy, "--model", "oblivious",
                                            "-H", "rounds=200", "--distil", "3000", "-S", "rounds=30", "-S", "depth=6"])
        #expect(distilled.status == 0, "\(distilled.error)")
        #expect(distilled.output.contains("Teacher (oblivious) scores") && distilled.output.contains("Student (oblivious, distilled on 3000 designs) scores"))
        // Progress on standard error, stage by stage.
        #expect(distilled.error.contains("value: training the oblivious model on ")
                && distilled.error.contains("value: the model labels 3000 random designs; training the student")
                && distilled.error.contains("value: the saved teacher and student, on all"), "\(distilled.error)")
        let saved = try ProxyFile.load(proxy)
        #expect(saved.kind == .oblivious && saved.hyperparameters == ["rounds": "30", "depth": "6"])
        #expect(saved.distillation?.designs == 3000 && saved.distillation?.teacherHyperparameters == ["rounds": "200"])
        guard case .oblivious(let student) = saved.models["value"] else { Issue.record("not an oblivious student"); return }
        #expect(student.trees == 30 && student.depth == 6)
        let orphan = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "-S", "rounds=3"])
        #expect(orphan.status != 0 && orphan.error.contains("-S sets the student of --distil"))
        let unknown = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "-H", "leaves=3"])
        #expect(unknown.status != 0 && unknown.error.contains("forest has no hyperparameter 'leaves'; it has: trees, max_depth"))
        let outOfRange = try GymProcess.run(["proxy", "train", "--env", "Branin-v0", "--db", db, "--model", "boosted", "-H", "learning_rate=2"])
        #expect(outOfRange.status != 0 && outOfRange.error.contains("learning_rate must be a number in (0, 1], not '2'"))
        let notProxy = try GymProcess.run(["proxy", "verify", "1", "--db", db])
        #expect(notProxy.status != 0 && notProxy.error.contains("not a Proxy:<file> environment"))
        let missing = try GymProcess.run(["proxy", "train", "--env", "Ackley-v0", "--db", db])
        #expect(missing.status != 0 && missing.error.contains("no experiments of Ackley-v0"))
    }

    @Test func aSweepRunsOnWorkersResumesAndReports() throws {
        let db = GymProcess.databasePath()
        let folder = URL(fileURLWithPath: db).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("sweep.yaml").path
        try """
            name: cli
            budget: 12
            seeds: 2
            environments: [{id: Branin-v0}]
            agents: [{id: random}, {id: genetic, grid: {population: [4, 8]}}]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let dry = try GymProcess.run(["sweep", file, "--db", db, "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("Sweep cli: 6 runs of 12 evaluations — 0 complete, 0 to resume, 6 to start"), "\(dry.error)")
        let first = try GymProcess.run(["sweep", file, "--db", db, "--jobs", "2", "--workers", "2"])
        #expect(first.status == 0 && first.output.contains("Sweep cli: 6 of 6 runs complete, 0 failed"), "\(first.output)\(first.error)")
        let again = try GymProcess.run(["sweep", file, "--db", db])
        #expect(again.output.contains("6 complete, 0 to resume, 0 to start"))
        let report = try GymProcess.run(["report", "--sweep", "cli", "--db", db, "--format", "markdown"])
        #expect(report.status == 0 && report.output.contains("| genetic | 4 |") && report.output.contains("| random | 2 |"), "\(report.error)")
        let html = folder.appendingPathComponent("report.html").path
        let figures = folder.appendingPathComponent("figures").path
        let written = try GymProcess.run(["report", "--sweep", "cli", "--db", db, "--out", html, "--figures", figures])
        #expect(written.status == 0 && written.error.contains("Wrote 2 figure(s) to \(figures)"), "\(written.error)")
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("<svg"))
        let names = try FileManager.default.contentsOfDirectory(atPath: figures).sorted()
        #expect(names == ["1-branin-v0-default-value-min-curves.svg", "1-branin-v0-default-value-min-finals.svg"])
        let neither = try GymProcess.run(["report", "--db", db])
        #expect(neither.status != 0 && neither.error.contains("give --sweep NAME or --experiment ID"))
    }

    @Test func anAcceleratorMappingIsEvaluatedFromFiles() throws {
        // The 2×2 case computed by hand in CostModelTests, as YAML files: 16 cycles, 6,352 pJ.
        let folder = URL(fileURLWithPath: GymProcess.databasePath()).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let architecture = try write("arch.yaml", """
            name: tiny
            array: [{name: X, size: 2}, {name: Y, size: 2}]
            macEnergy: 0.5
            macArea: 0.001
            levels:
              - {name: reg, holds: [weights], capacityBits: 8, wordBits: 8, readEnergy: 1, writeEnergy: 1, sharedAcross: []}
              - {name: buffer, holds: [weights, inputs, outputs], capacityBits: 1024, wordBits: 8, readEnergy: 10, writeEnergy: 10, sharedAcross: [X, Y]}
              - {name: DRAM, holds: [weights, inputs, outputs], wordBits: 8, readEnergy: 100, writeEnergy: 100, sharedAcross: [X, Y]}
            """)
        let mapping = try write("map.yaml", "spatial: {X: [[K, 2]], Y: [[C, 2]]}\ntemporal: {buffer: [[K, 2], [C, 2], [OX, 4]]}\n")
        let network = try write("net.yaml", "bits: {weights: 8, inputs: 8, outputs: 8}\nlayers: [{type: gemm, name: g, m: 4, n: 4, k: 4}]\n")
        let result = try GymProcess.run(["evaluate", "Accelerator-v0", "--option", "architecture=\(architecture)",
                                         "--option", "mapping=\(mapping)", "--workload", network])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains(#""energy_uj" : 0.006352"#) && result.output.contains(#""cycles" : 16"#))
        #expect(result.output.contains("buffer: K2 C2 OX4 | spatial X: K2, Y: C2"))
    }

    @Test func brokerAndWorkerProcessesServeAClient() throws {
        let broker = Process()
        broker.executableURL = GymProcess.executable
        broker.arguments = ["broker", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*", "--workers-bind", "tcp://127.0.0.1:*"]
        let output = Pipe()
        broker.standardOutput = output
        try broker.run()
        defer { broker.terminate(); broker.waitUntilExit() }
        let banner = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let endpoints = banner.split(separator: " ").map { $0.trimmingCharacters(in: .punctuationCharacters.subtracting(["/", ":"])) }
            .filter { $0.hasPrefix("tcp://") }
        #expect(endpoints.count == 2, "\(banner)")
        guard endpoints.count == 2 else { return }
        let worker = Process()
        worker.executableURL = GymProcess.executable
        worker.arguments = ["worker", "--connect", endpoints[1]]
        try worker.run()
        defer { worker.terminate(); worker.waitUntilExit() }
        let result = try GymProcess.run(["run", "--remote", endpoints[0], "--env", "Branin-v0", "--budget", "6",
                                         "--db", GymProcess.databasePath(), "--progress", "none"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("completed, 6 trials"))
    }

    @Test func sigtermStopsAfterTheBatchAndLeavesTheExperimentResumable() throws {
        let db = GymProcess.databasePath()
        let (process, output) = try GymProcess.start(["run", "--budget", "400", "--option", "delay=0.004", "--progress", "jsonl", "--db", db])
        #expect(GymProcess.waitForProgress(output, atLeast: 20) >= 20)
        kill(process.processIdentifier, SIGTERM)
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)  // 128 + SIGTERM, the shell's convention
        // Standard output holds JSON lines only, the last one the summary.
        let records = rest.split(separator: "\n").map { try? JSONValue.parse(Data($0.utf8)) }
        #expect(records.allSatisfy { $0 != nil }, "\(rest)")
        guard case .object(let summary)?? = records.last else { Issue.record("no summary"); return }
        #expect(summary["type"] == "summary" && summary["status"] == "interrupted")
        #expect(summary["resume"] == .string("gym run --resume 1 --db \(db)"))
        let store = try TrajectoryStore(path: db)
        #expect(try store.experiment(1).status == .interrupted)
        #expect(try store.trialCount(experiment: 1) < 400)
        #expect(try GymProcess.run(["run", "--resume", "1", "--db", db, "--progress", "none"]).status == 0)
        #expect(try store.trialCount(experiment: 1) == 400)
    }

    @Test func checkPassesForEveryRegisteredEnvironmentAndAgent() throws {
        let result = try GymProcess.run(["check"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("FAIL"))
    }
}
