import ArgumentParser
import Foundation
import GymCore

/// Options that pick an environment instance: workload, fidelity and `--option key=value` settings.
struct EnvironmentSelection: ParsableArguments {
    @Option(name: .long, help: "Workload to run (see `gym describe <env>`); the environment's default if omitted.")
    var workload: String?

    @Option(name: .long, help: "Fidelity level, for environments that offer several.")
    var fidelity: String?

    @Option(name: .customLong("option"), help: ArgumentHelp("Environment setting KEY=VALUE (repeatable).", valueName: "key=value"))
    var options: [String] = []

    func environmentOptions(seed: UInt64 = 0) throws -> EnvironmentOptions {
        EnvironmentOptions(workload: workload, seed: seed, fidelity: fidelity, values: try keyValues(options, what: "--option"))
    }
}

/// Options that state the objective.
struct ObjectiveSelection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Objective in compact form or JSON; the environment's default if omitted.",
                                            discussion: Objective.compactGrammar, valueName: "spec"))
    var objective: String?

    @Option(name: .customLong("target"), help: ArgumentHelp("Target METRIC=VALUE for ArchGym's reward Π t/|x−t| (repeatable); shorthand for --objective target:....", valueName: "metric=value"))
    var targets: [String] = []

    @Option(name: .long, parsing: .unconditional, help: "Reward for evaluations that are not ok; by default they rank below every ok one.")
    var failureReward: Double?

    func objective(for spec: EnvironmentSpec) throws -> Objective {
        if objective != nil && !targets.isEmpty {
            throw CLIError("give either --objective or --target, not both: --target M=V is shorthand for --objective target:M=V")
        }
        var result: Objective
        if let objective {
            result = try Objective.parse(objective)
        } else if !targets.isEmpty {
            result = try Objective.parse("target:" + targets.joined(separator: ","))
        } else {
            result = spec.defaultObjective
        }
        if let failureReward { result.onFailure = .reward(failureReward) }
        return try result.resolved(against: spec.metrics)
    }
}

/// Where the database is.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: "SQLite database of experiments and trials.")
    var path: String = "Logs/gym.sqlite"
}

/// A user-facing error: its message says what to do.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Parses repeated KEY=VALUE arguments.
func keyValues(_ items: [String], what: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for item in items {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw CLIError("\(what) expects KEY=VALUE, got '\(item)'")
        }
        result[String(item[..<equals])] = String(item[item.index(after: equals)...])
    }
    return result
}

/// A command-line value as a parameter value: an integer, a real number, or else a string.
func parameterValue(_ text: String) -> ParameterValue {
    if let integer = Int(text) { return .int(integer) }
    if let real = Double(text), real.isFinite { return .double(real) }
    return .string(text)
}

/// Reads a design given inline as JSON or as the path of a JSON file.
func readDesignText(_ text: String) throws -> String {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("{") { return trimmed }
    guard FileManager.default.fileExists(atPath: text) else {
        throw CLIError("--design must be a JSON object or the path of a JSON file; '\(text)' is neither")
    }
    return try String(contentsOfFile: text, encoding: .utf8)
}

/// Runs `body`, turning DesignGym's typed errors into clean command-line errors.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as CLIError {
        throw error
    } catch {
        throw CLIError(String(describing: error))
    }
}

/// Encodes a value as pretty, sorted-key JSON text.
func prettyJSON<Value: Encodable>(_ value: Value) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Formats a number for tables: whole numbers without decimals, others with up to 6 significant digits.
func formatNumber(_ value: Double?) -> String {
    guard let value else { return "–" }
    if value == value.rounded() && abs(value) < 1e12 { return String(Int(value)) }
    return String(format: "%.6g", value)
}

/// Pads text to a width for simple aligned tables.
func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// Prints rows as a left-aligned table with two spaces between columns.
func printTable(_ rows: [[String]], indent: String = "  ") {
    guard let columns = rows.map(\.count).max() else { return }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    for row in rows {
        let cells = row.enumerated().map { index, cell in index == row.count - 1 ? cell : padded(cell, widths[index]) }
        print(indent + cells.joined(separator: "  "))
    }
}

/// `text` broken into lines of at most `width` characters at spaces, the first line after `indent` and the
/// others after `hanging`: for lists in help texts, which the renderer would otherwise wrap to the margin.
func wrapped(_ text: String, width: Int = 77, indent: String, hanging: String) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        let prefix = lines.isEmpty ? indent : hanging
        if !line.isEmpty, prefix.count + line.count + 1 + word.count > width {
            lines.append(prefix + line)
            line = String(word)
        } else {
            line += (line.isEmpty ? "" : " ") + word
        }
    }
    lines.append((lines.isEmpty ? indent : hanging) + line)
    return lines.joined(separator: "\n")
}
