import ArgumentParser
import Experiments
import Foundation
import GymCore
import GymStore
import GymTransport
import GymFiles

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run every experiment of a sweep file that the database does not hold complete yet.",
        discussion: """
            A sweep file (YAML or JSON) names environments and workloads, objectives, agents with a grid, a registered \
            preset (such as archgym, optionally with `samples: N` of its settings) or random samples of their \
            hyperparameters, seeds, and one budget for all runs. sweeps/dram-lottery.yaml is a complete example. \
            Runs already complete are skipped, interrupted ones resumed, so a sweep stopped by Ctrl-C or a crash \
            continues where it was. Each run is an ordinary experiment named `sweep <name> <key>`. Exits 1 when \
            a run failed, 75 when runs stopped because their server could not be reached (run it again).
            Example file:
              name: dram-lottery
              budget: 500
              seeds: 3
              environments: [{id: MemoryController-v0, workloads: [random]}]
              objectives: [default]
              agents:
                - {id: random}
                - {id: genetic, preset: archgym}
                - {id: ant-colony, preset: archgym, samples: 8}
                - {id: bayesian, samples: 2}
            Examples:
              gym sweep dram.yaml --jobs 2
              gym sweep dram.yaml --jobs 8 --workers 8
              gym sweep dram.yaml --jobs 64 --remote tcp://broker-host:5555 \\
                  --curve-server-key broker.pub
              gym sweep dram.yaml --dry-run
            """)

    @Argument(help: "The sweep file (.yaml, .yml or .json).")
    var file: String

    @Option(parsing: .unconditional, help: "Experiments run at once.")
    var jobs: Int = 1

    @Flag(help: "List the runs and what would happen to each, and run nothing.")
    var dryRun = false

    @OptionGroup var placement: PlacementOptions

    @OptionGroup var database: DatabaseOption

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
    }

    func run() throws {
        try reportingErrors {
            let sweep = try Self.load(file)
            // With --remote the environments are the server's (it may serve ones this gym does not have):
            // the sweep is expanded against them.
            let remotePlacement = placement.remote == nil ? nil : try placement.make()
            defer { remotePlacement?.stop() }
            let registry = remotePlacement?.registry ?? CommandLineRegistry.current
            let runs = try sweep.expand(registry: registry)
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: database.path).deletingLastPathComponent(), withIntermediateDirectories: true)
            let store = try TrajectoryStore(path: database.path)
            defer { store.close() }
            let plan = try SweepRunner(registry: registry, store: store).plan(runs)
            say("Sweep \(sweep.name): \(runs.count) runs of \(sweep.budget) evaluations — \(plan.complete.count) complete, \(plan.resume.count) to resume, \(plan.start.count) to start")
            if dryRun {
                let resumed = Set(plan.resume.map(\.0.key)), done = Set(plan.complete.map(\.key))
                for run in runs {
                    say("  \(done.contains(run.key) ? "complete" : resumed.contains(run.key) ? "resume  " : "start   ")  \(run.key)  \(run.label)")
                }
                return
            }
            let evaluations = try remotePlacement ?? placement.make()
            defer { if remotePlacement == nil { evaluations.stop() } }
            let status = try SweepRunner(registry: evaluations.registry, store: store, evaluationTimeout: placement.evaluationTimeoutHere)
                .run(runs, jobs: jobs) { status, line in
                let left = status.remaining.map { String(format: ", about %.0f s left", $0) } ?? ""
                FileHandle.standardOutput.write(Data("[\(status.done)/\(status.total) done, \(status.running) running, \(status.failed) failed\(status.interrupted > 0 ? ", \(status.interrupted) interrupted" : "")\(left)] \(line)\n".utf8))
            }
            let interrupted = status.interrupted > 0
                ? ", \(status.interrupted) interrupted (the server could not be reached: run the same command again to finish them)" : ""
            let trials = status.failedTrials > 0 ? " (\(status.failedTrials) trial(s) failed or timed out: gym show lists them)" : ""
            say("Sweep \(sweep.name): \(status.done) of \(status.total) runs complete, \(status.failed) failed\(interrupted), in \(String(format: "%.1f", status.elapsed)) s\(trials). Results in \(database.path).")
            if status.failed > 0 { throw ExitCode(1) }
            if status.interrupted > 0 { throw ExitCode(75) }  // EX_TEMPFAIL: a transport fault, to be run again
        }
    }

    /// Writes a line to standard output at once (runs report from several threads).
    func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func load(_ path: String) throws -> SweepFile {
        let json: Data
        do {
            json = try StructuredFile.jsonData(path, what: "sweep")
        } catch let error as StructuredFile.Unreadable {
            throw CLIError(error.description)
        }
        guard let object = try? JSONSerialization.jsonObject(with: json), object is [String: Any] else {
            throw CLIError("\(path) is not a sweep file: it must hold a mapping with name, budget, seeds, environments and agents; see gym sweep --help")
        }
        do {
            try SweepFile.checkKeys(object)
            return try JSONDecoder().decode(SweepFile.self, from: json)
        } catch let error as SweepError {
            throw CLIError("\(path): \(error)")
        } catch let error as DecodingError {
            throw CLIError("\(path) is not a sweep file: \(error.plainDescription); see gym sweep --help")
        }
    }
}
