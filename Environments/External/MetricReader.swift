import Foundation
import GymCore

/// Reads a finished command's metrics from where its spec says: JSON (standard output or a file), a CSV
/// column, or a regular expression. Each file is read once.
struct MetricReader {
    let workdir: String
    let values: [String: String]
    let standardOutput: Data
    let standardError: Data
    private var files: [String: Data] = [:]
    private var objects: [String: [String: JSONValue]] = [:]

    init(workdir: String, values: [String: String], standardOutput: Data, standardError: Data) {
        self.workdir = workdir
        self.values = values
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Why a metric cannot be read.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// A status the command's JSON report on standard output gives (`"status": "infeasible"`), if any.
    mutating func reportedStatus() -> (EvaluationStatus, String?)? {
        guard let object = try? json(nil), case .string(let text)? = object["status"], let status = EvaluationStatus(rawValue: text) else { return nil }
        if case .string(let message)? = object["message"] { return (status, message) }
        return (status, nil)
    }

    mutating func read(_ metric: String, from source: CommandSpec.MetricSource) throws -> Double {
        switch source {
        case .json(let file, let key):
            var value: JSONValue? = .object(try json(file))
            for part in key.split(separator: ".") {
                guard case .object(let object)? = value else { value = nil; break }
                value = object[String(part)]
            }
            switch value {
            case .number(let number)? where number.isFinite: return number
            case .string(let text)?: return try number(text, what: "\"\(key)\" in the JSON \(where_(file))")
            case nil: throw Unreadable(description: "the JSON \(where_(file)) has no \"\(key)\"")
            case .some(let other):
                throw Unreadable(description: "\"\(key)\" in the JSON \(where_(file)) is not a finite number (\(String(String(decoding: other.jsonData, as: UTF8.self).prefix(40))))")
            }
        case .csv(let file, let column, let aggregate):
            let text = String(decoding: try data(file), as: UTF8.self)
            let rows = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
            guard let header = rows.first, !header.isEmpty else { throw Unreadable(description: "the CSV \(where_(file)) is empty") }
            let wanted = column.trimmingCharacters(in: .whitespaces).lowercased()
            guard let index = header.firstIndex(where: { $0.lowercased() == wanted }) else {
                throw Unreadable(description: "the CSV \(where_(file)) has no column \"\(column)\"; its columns are: \(header.filter { !$0.isEmpty }.joined(separator: ", "))")
            }
            let cells = rows.dropFirst().filter { !$0.allSatisfy(\.isEmpty) }.map { index < $0.count ? $0[index] : "" }
            return try combine(cells.map { try number($0, what: "column \"\(column)\" of the CSV \(where_(file))") }, aggregate,
                               what: "column \"\(column)\" of the CSV \(where_(file))")
        case .regex(let pattern, let stream, let file, let aggregate):
            let text: String
            switch stream {
            case "stdout": text = String(decoding: standardOutput, as: UTF8.self)
            case "stderr": text = String(decoding: standardError, as: UTF8.self)
            default: text = String(decoding: try data(file), as: UTF8.self)
            }
            let regex = try NSRegularExpression(pattern: pattern)
            let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
            let found = try matches.compactMap { match -> Double? in
                guard let range = Range(match.range(at: 1), in: text) else { return nil }
                return try number(String(text[range]), what: "the match of /\(pattern)/")
            }
            return try combine(found, aggregate, what: "/\(pattern)/ in \(stream)")
        }
    }

    private func where_(_ file: CommandTemplate?) -> String {
        file.map { "file \($0.render(values))" } ?? "on standard output"
    }

    private mutating func data(_ file: CommandTemplate?) throws -> Data {
        guard let file else { return standardOutput }
        let name = file.render(values)
        if let cached = files[name] { return cached }
        do {
            let data = try InputFile.read(workdir + "/" + name, what: "output", limit: CommandRunner.outputLimit)
            files[name] = data
            return data
        } catch let error as InputFileError {
            throw Unreadable(description: "the command left no readable \(name) (\(error.reason))")
        }
    }

    /// The JSON object of a file, or of standard output: the whole text, or else its last line that is one.
    private mutating func json(_ file: CommandTemplate?) throws -> [String: JSONValue] {
        let key = file?.render(values) ?? "<stdout>"
        if let cached = objects[key] { return cached }
        let data = try data(file)
        var object: [String: JSONValue]?
        if case .object(let parsed)? = try? JSONValue.parse(data) { object = parsed }
        if object == nil {
            for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).reversed() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("{") else { continue }
                if case .object(let parsed)? = try? JSONValue.parse(Data(trimmed.utf8)) {
                    object = parsed
                    break
                }
            }
        }
        guard let object else { throw Unreadable(description: "no JSON object \(where_(file))") }
        objects[key] = object
        return object
    }

    private func number(_ text: String, what: String) throws -> Double {
        if let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite { return number }
        throw Unreadable(description: "\(what) is not a finite number (\(String(text.prefix(40))))")
    }

    private func combine(_ values: [Double], _ aggregate: CommandSpec.Aggregate, what: String) throws -> Double {
        guard !values.isEmpty else { throw Unreadable(description: "\(what) has no values") }
        switch aggregate {
        case .sum: return values.reduce(0, +)
        case .mean: return values.reduce(0, +) / Double(values.count)
        case .min: return values.min()!
        case .max: return values.max()!
        case .first: return values[0]
        case .last: return values[values.count - 1]
        }
    }
}
