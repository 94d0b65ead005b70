import ArgumentParser
import Experiments
import Foundation
import GymCore
import GymStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the experiments in a database, or one experiment: summary, best designs, best-so-far curve.",
        discussion: """
            Opens the database read-only. An experiment shown as `stale` says `running` in the database but its \
            process on this machine is gone (it was killed): `gym run --resume ID` continues it. For a Pareto \
            objective it shows the front (one design per point, best first along the first goal, in the goals' \
            units) and its hypervolume, and the hypervolume so far instead of the best reward.
            Examples:
              gym show
              gym show 3 --top 10
              gym show 3 --json
            """)

    @Argument(help: "Experiment id; omit to list every experiment.")
    var experiment: Int64?

    @Option(parsing: .unconditional, help: "How many of the best designs to list (for a Pareto objective, four times as many front points).")
    var top: Int = 5

    @Flag(help: "Print JSON instead: the list of experiments, or one experiment with its best trials (or Pareto front and hypervolume) and its curve.")
    var json = false

    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, not \(top)") }
    }

    func run() throws {
        let store = try reportingErrors { try TrajectoryStore(path: database.path, access: .readOnly) }
        guard let experiment else {
            try reportingErrors { try json ? listExperimentsJSON(store) : listExperiments(store) }
            return
        }
        try reportingErrors { try json ? showExperimentJSON(experiment, store: store) : showExperiment(experiment, store: store) }
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
                         "\(trials.count)\(budget)", bestText(record, trials), record.objective.description,
                         StoredDateText.short(record.createdAt)])
        }
        printTable(rows, indent: "")
    }

    /// The list's "best" column: the best reward, or for a Pareto objective the front's size and hypervolume.
    private func bestText(_ record: ExperimentRecord, _ trials: [Trial]) -> String {
        guard record.objective.kind == .pareto else { return formatNumber(Analysis.best(trials)?.reward) }
        let front = ResultText.front(trials, objective: record.objective)
        return front.trials.isEmpty ? "-" : "front \(front.trials.count), hv \(formatNumber(front.hypervolume))"
    }

    private func listExperimentsJSON(_ store: TrajectoryStore) throws {
        var listed: [JSONValue] = []
        for record in try store.experiments() {
            let trials = try store.trials(experiment: record.id!)
            var fields = summaryFields(record, trials)
            if record.objective.kind == .pareto {
                let front = ResultText.front(trials, objective: record.objective)
                fields["front_size"] = .number(Double(front.trials.count))
                fields["hypervolume"] = front.hypervolume.map(JSONValue.number) ?? .null
            } else {
                fields["best_reward"] = Analysis.best(trials)?.reward.map(JSONValue.number) ?? .null
            }
            listed.append(.object(fields))
        }
        FileHandle.standardOutput.write(JSONValue.array(listed).jsonData + Data("\n".utf8))
    }

    /// What the list and the single view share.
    private func summaryFields(_ record: ExperimentRecord, _ trials: [Trial]) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "id": .number(Double(record.id!)), "environment": .string(record.environmentID), "workload": .string(record.workload),
            "agent": .string(record.agentID), "seed": .string(String(record.seed)), "status": .string(record.shownStatus),
            "trials": .number(Double(trials.count)), "objective": .string(record.objective.description),
            "created_at": .string(StoredDateText.short(record.createdAt)),
            "budget_evaluations": record.budgetEvaluations.map { .number(Double($0)) } ?? .null,
            "budget_seconds": record.budgetSeconds.map(JSONValue.number) ?? .null,
        ]
        if let name = record.name { fields["name"] = .string(name) }
        return fields
    }

    private func showExperimentJSON(_ id: Int64, store: TrajectoryStore) throws {
        let record = try store.experiment(id)
        let trials = try store.trials(experiment: id)
        var fields = summaryFields(record, trials)
        fields["error"] = record.error.map(JSONValue.string) ?? .null
        fields["hyperparameters"] = ResultText.json(record.hyperparameters)
        fields["options"] = .object(record.environmentOptions.values.mapValues(JSONValue.string))
        fields["elapsed_seconds"] = .number(record.elapsedSeconds)
        fields["batch_size"] = .number(Double(record.batchSize))
        fields["parallelism"] = .number(Double(record.parallelism))
        fields["cache_hits"] = .number(Double(trials.filter(\.cached).count))
        var statuses: [String: JSONValue] = [:]
        for status in EvaluationStatus.allCases {
            let count = trials.filter { $0.evaluation.status == status }.count
            if count > 0 { statuses[status.rawValue] = .number(Double(count)) }
        }
        fields["statuses"] = .object(statuses)
        fields["units"] = .object(Dictionary(record.environmentSpec.metrics.map { ($0.name, JSONValue.string($0.unit)) }, uniquingKeysWith: { a, _ in a }))
        if record.objective.kind == .pareto {
            let front = ResultText.front(trials, objective: record.objective)
            fields["front"] = .array(front.trials.map(ResultText.json))
            fields["hypervolume"] = front.hypervolume.map(JSONValue.number) ?? .null
            fields["hypervolume_definition"] = .string(ResultText.hypervolumeDefinition(dimension: record.objective.dimension))
            fields["curve"] = .array(Analysis.hypervolumeCurve(trials).map { $0.map(JSONValue.number) ?? .null })
            fields["curve_measure"] = .string("hypervolume so far")
        } else {
            fields["best"] = .array(Analysis.top(trials, count: top).map(ResultText.json))
            fields["curve"] = .array(Analysis.bestSoFar(trials).map { $0.map(JSONValue.number) ?? .null })
            fields["curve_measure"] = .string("best reward so far")
        }
        FileHandle.standardOutput.write(JSONValue.object(fields).jsonData + Data("\n".utf8))
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

        let spec = record.environmentSpec
        let metricNames = spec.metrics.map(\.name)
        let curve: [Double?]
        if record.objective.kind == .pareto {
            let front = ResultText.front(trials, objective: record.objective)
            print("\nPareto front: \(front.trials.count) design(s), hypervolume \(formatNumber(front.hypervolume))")
            print("  (\(ResultText.hypervolumeDefinition(dimension: record.objective.dimension)))")
            let limit = top * 4
            printTable(ResultText.frontRows(front, objective: record.objective, spec: spec, limit: limit))
            if front.trials.count > limit { print("  … \(front.trials.count - limit) more: gym show \(id) --top \(front.trials.count) --db \(database.path)") }
            curve = Analysis.hypervolumeCurve(trials)
            print("\nHypervolume so far")
        } else {
            print("\nBest designs")
            var rows = [["rank", "trial", "reward"] + metricNames.map { ResultText.heading($0, spec: spec) } + ["design"]]
            for (rank, trial) in Analysis.top(trials, count: top).enumerated() {
                rows.append([String(rank + 1), String(trial.number), formatNumber(trial.reward)]
                            + metricNames.map { formatNumber(trial.evaluation.metrics[$0]) } + [trial.design.canonicalJSON])
            }
            printTable(rows)
            curve = Analysis.bestSoFar(trials)
            print("\nBest reward so far")
        }
        guard !curve.isEmpty else { return }
        print("  " + sparkline(curve))
        let marks = Set([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, curve.count]
            .filter { $0 <= curve.count })
        printTable([["after"] + marks.sorted().map(String.init), [record.objective.kind == .pareto ? "hv" : "best"] + marks.sorted().map { formatNumber(curve[$0 - 1]) }])
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
