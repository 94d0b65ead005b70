import Foundation
import GymCore

/// The file formats `gym export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    case csv
    /// One JSON object per line, with typed values.
    case jsonl
}

/// Which trials to export.
public struct ExportFilter: Sendable {
    /// Only experiments of this environment (versioned id, or name for every version).
    public var environment: String?
    /// Only these experiments.
    public var experiments: [Int64]?
    /// Only trials with these statuses.
    public var statuses: Set<EvaluationStatus>?

    /// Creates a filter; nil fields do not filter.
    public init(environment: String? = nil, experiments: [Int64]? = nil, statuses: Set<EvaluationStatus>? = nil) {
        self.environment = environment
        self.experiments = experiments
        self.statuses = statuses
    }
}

extension TrajectoryStore {
    /// The export's columns: the fixed ones, then each parameter and each metric of the selected
    /// experiments' spaces in declared order (a metric whose name clashes with a column gets a `metric.` prefix).
    public static let fixedExportColumns = [
        "experiment", "environment", "workload", "agent", "seed", "trial", "status", "reward", "wall_time", "cached", "worker", "error",
    ]

    /// Writes the selected trials as CSV or JSON Lines, one typed column per parameter and per metric,
    /// and returns how many trials were written.
    @discardableResult
    public func export(_ filter: ExportFilter, format: ExportFormat, to output: (String) -> Void) throws -> Int {
        var selected = try experiments(environment: filter.environment)
        if let ids = filter.experiments {
            for id in ids where !selected.contains(where: { $0.id == id }) {
                _ = try experiment(id)  // throws for an unknown id
            }
            selected = selected.filter { ids.contains($0.id!) }
        }
        var parameters: [Parameter] = []
        var metrics: [String] = []
        for record in selected {
            for parameter in record.environmentSpec.space.parameters where !parameters.contains(where: { $0.name == parameter.name }) {
                parameters.append(parameter)
            }
            for metric in record.environmentSpec.metrics.map(\.name) where !metrics.contains(metric) { metrics.append(metric) }
        }
        let taken = Set(Self.fixedExportColumns + parameters.map(\.name))
        let metricColumns = metrics.map { taken.contains($0) ? "metric.\($0)" : $0 }
        let header = Self.fixedExportColumns + parameters.map(\.name) + metricColumns
        if format == .csv { output(header.map(Self.csvField).joined(separator: ",") + "\n") }

        var count = 0
        for record in selected {
            for trial in try trials(experiment: record.id!, statuses: filter.statuses) {
                var values: [JSONValue] = [
                    .number(Double(record.id!)), .string(record.environmentID), .string(record.workload), .string(record.agentID),
                    .string(String(record.seed)), .number(Double(trial.number)), .string(trial.evaluation.status.rawValue),
                    trial.reward.map(JSONValue.number) ?? .null, .number(trial.evaluation.wallTime), .bool(trial.cached),
                    .string(trial.worker), trial.evaluation.message.map(JSONValue.string) ?? .null,
                ]
                for parameter in parameters {
                    switch trial.design[parameter.name] {
                    case .string(let text): values.append(.string(text))
                    case .int(let number): values.append(.number(Double(number)))
                    case .double(let number): values.append(.number(number))
                    case nil: values.append(.null)
                    }
                }
                values += metrics.map { trial.evaluation.metrics[$0].map(JSONValue.number) ?? .null }
                output(format == .csv ? Self.csvLine(values) : try Self.jsonLine(header, values))
                count += 1
            }
        }
        return count
    }

    private static func csvLine(_ values: [JSONValue]) -> String {
        values.map { value -> String in
            switch value {
            case .null: return ""
            case .bool(let flag): return flag ? "true" : "false"
            case .number(let number): return numberText(number)
            case .string(let text): return csvField(text)
            default: return ""
            }
        }.joined(separator: ",") + "\n"
    }

    private static func jsonLine(_ header: [String], _ values: [JSONValue]) throws -> String {
        var text = "{"
        for (index, (key, value)) in zip(header, values).enumerated() {
            if index > 0 { text += "," }
            text += CanonicalJSON.quoted(key) + ":"
            switch value {
            case .null: text += "null"
            case .bool(let flag): text += flag ? "true" : "false"
            case .number(let number): text += number.isFinite ? numberText(number) : "null"
            case .string(let string): text += CanonicalJSON.quoted(string)
            default: text += "null"
            }
        }
        return text + "}\n"
    }

    private static func numberText(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
