import ArgumentParser
import Foundation
import GymCore
import GymStore

extension ExportFormat: ExpressibleByArgument {}
extension EvaluationStatus: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export trials as CSV or JSON Lines: one typed column per parameter and per metric.",
        discussion: """
            Columns: \(TrajectoryStore.fixedExportColumns.joined(separator: ", ")), then the parameters and the metrics.
            Examples:
              gym export --out trials.csv
              gym export --format jsonl --env Branin-v0 --status ok --out branin.jsonl
              gym export --experiment 3 --experiment 4
            """)

    @Option(help: "Output format: csv or jsonl.")
    var format: ExportFormat = .csv

    @Option(help: "Output file; standard output if omitted.")
    var out: String?

    @Option(name: .customLong("env"), help: "Only experiments of this environment (versioned id, or name for every version).")
    var environment: String?

    @Option(help: "Only this experiment (repeatable).")
    var experiment: [Int64] = []

    @Option(help: "Only trials with this status (repeatable): ok, infeasible, failed, timeout.")
    var status: [EvaluationStatus] = []

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try reportingErrors { try TrajectoryStore(path: database.path, access: .readOnly) }
        if let environment, try store.experiments(environment: environment).isEmpty {
            let known = Set(try store.experiments().map(\.environmentID)).sorted()
            throw CLIError("\(database.path) has no experiments of \(environment); it has experiments of: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        let filter = ExportFilter(environment: environment, experiments: experiment.isEmpty ? nil : experiment,
                                  statuses: status.isEmpty ? nil : Set(status))
        var text = ""
        let count = try reportingErrors { try store.export(filter, format: format) { text += $0 } }
        if let out {
            do {
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write \(out): \(error.localizedDescription)")
            }
            FileHandle.standardError.write(Data("Wrote \(count) trials to \(out)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
