import ArgumentParser
import Experiments
import Foundation
import GymStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise experiments: best-so-far curves, the hyperparameter lottery, sample efficiency, best designs.",
        discussion: """
            Groups the experiments by environment, workload and objective, then by agent. The HTML page is one \
            self-contained file (plots drawn as SVG, no scripts, nothing fetched from the network); the markdown \
            is for terminals and CI logs.
            Examples:
              gym report --sweep dram-lottery --out report.html
              gym report --experiment 1 --experiment 2 --format markdown
              gym report --sweep dram-lottery --out report.html --figures figures/
            """)

    @Option(help: "The experiments of this sweep (its name).")
    var sweep: String?

    @Option(name: .customLong("experiment"), help: "These experiments (repeatable).")
    var experiments: [Int64] = []

    @Option(help: "html or markdown.")
    var format: String = "html"

    @Option(help: "Where to write it (default: standard output).")
    var out: String?

    @Option(help: "Also write every plot as a standalone SVG file into this directory, for papers and READMEs.")
    var figures: String?

    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reportingErrors {
            guard ["html", "markdown"].contains(format) else { throw CLIError("--format must be html or markdown, not '\(format)'") }
            guard (sweep == nil) != experiments.isEmpty else { throw CLIError("give --sweep NAME or --experiment ID (repeatable), not both and not neither") }
            let store = try TrajectoryStore(path: database.path, access: .readOnly)
            var records: [ExperimentRecord]
            if let sweep {
                records = try store.experiments().filter { $0.name?.hasPrefix("sweep \(sweep) ") == true }
                guard !records.isEmpty else { throw CLIError("no experiments of sweep \(sweep) in \(database.path); run gym sweep first") }
            } else {
                records = try experiments.map { try store.experiment($0) }
            }
            let report = try Report(store: store, experiments: records, title: sweep.map { "Sweep \($0)" } ?? "Experiments \(experiments.map(String.init).joined(separator: ", "))")
            if let figures {
                try FileManager.default.createDirectory(atPath: figures, withIntermediateDirectories: true)
                let files = report.figures
                for file in files { try file.svg.write(toFile: (figures as NSString).appendingPathComponent(file.name), atomically: true, encoding: .utf8) }
                FileHandle.standardError.write(Data("Wrote \(files.count) figure(s) to \(figures)\n".utf8))
            }
            let text = format == "html" ? report.html : report.markdown
            if let out {
                try text.write(toFile: out, atomically: true, encoding: .utf8)
                print("Wrote \(out): \(report.groups.count) group(s), \(records.count) experiment(s)")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
