import ArgumentParser
import Experiments
import Foundation
import GymCore
import GymStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the experiments in a database, or one experiment: summary, best designs, best-so-far curve.",
        discussion: """
            Opens the database read-only. An experiment shown as `stale` says `running` in the database but its
            process on this machine is gone (it was killed): `gym run --resume ID` continues it.
            Examples: gym show
                      gym show 3 --top 10
            """)

    @Argument(help: "Experiment id; omit to list every experiment.")
    var experiment: Int64?

    @Option(parsing: .unconditional, help: "How many of the best designs to list.")
    var top: Int = 5

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try reportingErrors { try TrajectoryStore(path: database.path, access: .readOnly) }
        guard let experiment else {
            try listExperiments(store)
            return
        }
        try reportingErrors { try showExperiment(experiment, store: store) }
    }

    private func listExperiments(_ store: TrajectoryStore) throws {
        let records = try store.experiments()
        if records.isEmpty {
            print("No experiments in \(database.path) yet.")
            return
        }
        var rows = [["id", "environment", "agent", "seed", "status", "trials", "best", "objective", "created"]]
        for record in records {
            let trials = try store.trials(experiment: record.id!)
            let budget = record.budgetEvaluations.map { "/\($0)" } ?? ""
            rows.append([String(record.id!), record.environmentID, record.agentID, String(record.seed), record.shownStatus,
                         "\(trials.count)\(budget)", formatNumber(Analysis.best(trials)?.reward), record.objective.description,
                         StoredDateText.short(record.createdAt)])
        }
        printTable(rows, indent: "")
    }

    private func showExperiment(_ id: Int64, store: TrajectoryStore) throws {
        let record = try store.experiment(id)
        let trials = try store.trials(experiment: id)
        print("Experiment \(id)\(record.name.map { " “\($0)”" } ?? ""): \(record.agentID) on \(record.environmentID) (workload \(record.workload)), seed \(record.seed)")
        let budget = [record.budgetEvaluations.map { "\($0) evaluations" }, record.budgetSeconds.map { formatDuration($0) }]
            .compactMap { $0 }.joined(separator: " or ")
        let stale = record.isStale ? " — its process is gone (killed?); continue it with gym run --resume \(id) --db \(database.path)" : ""
        print("  status      \(record.shownStatus)\(record.error.map { " — \($0)" } ?? "")\(stale)")
        print("  trials      \(trials.count) (budget \(budget)), batch \(record.batchSize), parallel \(record.parallelism), cache \(record.usesCache ? "on" : "off")")
        print("  objective   \(record.objective)")
        let hyperparameters = record.hyperparameters.values.keys.sorted().map { "\($0)=\(record.hyperparameters[$0]!)" }
        if !hyperparameters.isEmpty { print("  agent       \(hyperparameters.joined(separator: ", "))") }
        if !record.environmentOptions.values.isEmpty {
            print("  options     \(record.environmentOptions.values.keys.sorted().map { "\($0)=\(record.environmentOptions.values[$0]!)" }.joined(separator: ", "))")
        }
        print("  time        \(formatDuration(record.elapsedSeconds)) running; created \(StoredDateText.short(record.createdAt)) on \(record.host), DesignGym \(record.softwareVersion)")
        var counts: [String] = []
        for status in EvaluationStatus.allCases {
            let count = trials.filter { $0.evaluation.status == status }.count
            if count > 0 { counts.append("\(status.rawValue) \(count)") }
        }
        if !counts.isEmpty { print("  statuses    \(counts.joined(separator: ", "))") }
        let cached = trials.filter(\.cached).count
        if cached > 0 { print("  cache hits  \(cached)") }

        let metricNames = record.environmentSpec.metrics.map(\.name)
        if record.objective.kind == .pareto {
            let front = Analysis.paretoFront(trials)
            print("\nPareto front (\(front.count) trials)")
            var rows = [["trial"] + metricNames + ["design"]]
            for trial in front.prefix(max(top, 1) * 4) {
                rows.append([String(trial.number)] + metricNames.map { formatNumber(trial.evaluation.metrics[$0]) } + [trial.design.canonicalJSON])
            }
            printTable(rows)
        } else {
            print("\nBest designs")
            var rows = [["rank", "trial", "reward"] + metricNames + ["design"]]
            for (rank, trial) in Analysis.top(trials, count: top).enumerated() {
                rows.append([String(rank + 1), String(trial.number), formatNumber(trial.reward)]
                            + metricNames.map { formatNumber(trial.evaluation.metrics[$0]) } + [trial.design.canonicalJSON])
            }
            printTable(rows)
        }

        let curve = Analysis.bestSoFar(trials)
        guard !curve.isEmpty else { return }
        print("\nBest reward so far")
        print("  " + sparkline(curve))
        let marks = Set([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, curve.count]
            .filter { $0 <= curve.count })
        printTable([["after"] + marks.sorted().map(String.init), ["best"] + marks.sorted().map { formatNumber(curve[$0 - 1]) }])
    }

    private func sparkline(_ values: [Double?]) -> String {
        let present = values.compactMap { $0 }
        guard let low = present.min(), let high = present.max() else { return "" }
        let bars = Array("▁▂▃▄▅▆▇█")
        let width = min(values.count, 60)
        return (0..<width).map { column -> String in
            let index = min(values.count - 1, (column + 1) * values.count / width - 1)
            guard let value = values[index] else { return " " }
            let level = high > low ? Int((value - low) / (high - low) * Double(bars.count - 1)) : bars.count - 1
            return String(bars[level])
        }.joined()
    }
}

enum StoredDateText {
    static func short(_ date: Date) -> String {
        let style = Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeSeparator: .colon, timeZone: .gmt)
        return date.formatted(style).replacingOccurrences(of: "Z", with: "")
    }
}
