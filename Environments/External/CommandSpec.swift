import Foundation
import GymCore
import GymFiles

/// A command environment's spec file (YAML or JSON): an environment declared without writing Swift — its
/// id and version, space, metrics, workloads and options — and how to evaluate a design with any program.
/// docs/BRING_YOUR_OWN_SIMULATOR.md describes every key; `load` checks them all, so mistakes are errors
/// when the file is read, naming the key.
public struct CommandSpec: Sendable {
    /// The declared id, `Name-vN`: raise N whenever the simulator's numbers change.
    public var declaredID: String
    public var summary: String
    public var space: ParameterSpace
    public var metrics: [MetricSpec]
    public var workloads: [Workload]
    /// Whether a workload may also be the path of a file of the user's.
    public var acceptsWorkloadFiles: Bool
    public var defaultWorkload: String
    public var options: [Option]
    public var defaultObjective: Objective
    public var suggestedObjectives: [String: Objective]
    public var isDeterministic: Bool
    /// How to run it.
    var command: [CommandTemplate]
    var files: [(name: String, text: CommandTemplate)]
    var designFile: String?
    var environment: [(key: String, value: CommandTemplate)]
    public var timeout: Double
    public var keepWorkingDirectory: KeepPolicy
    var infeasibleExitCodes: Set<Int32>
    var sources: [String: MetricSource]
    /// The spec file's folder, absolute.
    public var folder: String
    /// SHA-256 (first 16 hex digits) of the spec and the files it depends on: its revision.
    public var fingerprint: String

    /// A workload: a name, and the file (absolute) or value it stands for.
    public struct Workload: Sendable {
        public var name: String
        public var summary: String
        public var file: String?
        public var value: String?
    }

    /// An option: its spec, and what values it takes.
    public struct Option: Sendable {
        public var spec: OptionSpec
        public var choices: [String]?
        public var isNumber: Bool
    }

    /// When a command's working directory is kept after its evaluation.
    public enum KeepPolicy: String, Sendable {
        case never, failed, always
    }

    /// Where a metric is read from after the command ran.
    enum MetricSource: Sendable {
        /// A JSON object (standard output, or a file in the working directory), at a dotted key path.
        case json(file: CommandTemplate?, key: String)
        /// A CSV file's column, its rows combined.
        case csv(file: CommandTemplate?, column: String, aggregate: Aggregate)
        /// A regular expression's first group over standard output, standard error or a file.
        case regex(pattern: String, stream: String, file: CommandTemplate?, aggregate: Aggregate)
    }

    /// How a column's rows (or a pattern's matches) become one number.
    enum Aggregate: String, Sendable, CaseIterable {
        case sum, mean, min, max, first, last
    }

    /// A spec file that cannot be used.
    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static let topKeys = ["id", "summary", "deterministic", "parameters", "constraints", "metrics", "workloads", "workload_files",
                          "default_workload", "options", "objective", "objectives", "run", "metrics_from", "depends_on"]
    static let runKeys = ["command", "files", "design_file", "environment", "timeout", "keep_workdir", "infeasible_exit_codes"]

    /// Reads and checks the spec at `path`.
    public static func load(_ path: String) throws -> CommandSpec {
        let data: Data
        do {
            data = try StructuredFile.jsonData(path, what: "command environment spec")
        } catch let error as StructuredFile.Unreadable {
            throw Invalid(error.description)
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Invalid("\(path) must hold a mapping: id, summary, parameters, metrics, workloads, run, metrics_from")
        }
        do {
            return try CommandSpec(root: root, path: path, bytes: try InputFile.read(path, what: "command environment spec", limit: StructuredFile.sizeLimit))
        } catch let error as KeyCheck.Unknown {
            throw Invalid("\(path): \(error.description)")
        } catch let error as Invalid {
            throw Invalid("\(path): \(error.description)")
        } catch let error as CommandTemplate.Invalid {
            throw Invalid("\(path): \(error.description)")
        } catch let error as ConstraintExpression.Invalid {
            throw Invalid("\(path): constraints: \(error.description)")
        } catch let error as DecodingError {
            throw Invalid("\(path): \(error.plainDescription)")
        } catch let error as InputFileError {
            throw Invalid("\(path): \(error.description)")
        } catch let error as SpaceDefinitionError {
            throw Invalid("\(path): parameters: \(error.description)")
        }
    }

    private init(root: [String: Any], path: String, bytes: Data) throws {
        try KeyCheck.require(root, allowed: Self.topKeys, at: "at the top",
                             hints: ["parameter": "parameters", "metric": "metrics", "workload": "workloads", "option": "options",
                                     "command": "run.command", "timeout": "run.timeout", "outputs": "metrics_from"])
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        self.folder = folder
        func string(_ value: Any?, _ key: String) throws -> String {
            guard let text = value as? String, !text.isEmpty else { throw Invalid("\"\(key)\" must be a non-empty string") }
            return text
        }
        func decode<T: Decodable>(_ type: T.Type, _ value: Any, _ key: String) throws -> T {
            guard JSONSerialization.isValidJSONObject([value]) else { throw Invalid("\"\(key)\" is not plain data") }
            do {
                return try JSONDecoder().decode(type, from: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
            } catch let error as DecodingError {
                throw Invalid("\"\(key)\": \(error.plainDescription)")
            }
        }

        declaredID = try string(root["id"], "id")
        guard declaredID.range(of: #"^[A-Za-z][A-Za-z0-9_.]*-v[0-9]+$"#, options: .regularExpression) != nil else {
            throw Invalid("\"id\" is the environment's name and version, Name-vN (such as SCALESim-v1), not '\(declaredID)'")
        }
        summary = try string(root["summary"], "summary")
        isDeterministic = root["deterministic"] as? Bool ?? true

        // The space: parameters in describe's form, constraints as expressions over them.
        guard let parameterList = root["parameters"] as? [Any], !parameterList.isEmpty else {
            throw Invalid("\"parameters\" must list at least one parameter, in the form `gym describe --json` shows")
        }
        for (index, entry) in parameterList.enumerated() {
            try KeyCheck.require(entry, allowed: ["name", "type", "choices", "lower", "upper", "step", "log", "values", "default", "summary", "unit"],
                                 at: "in parameter \(index + 1)")
        }
        let parameters = try decode([Parameter].self, parameterList, "parameters")
        let names = Set(parameters.map(\.name))
        var constraints: [Constraint] = []
        for (index, entry) in ((root["constraints"] as? [Any]) ?? []).enumerated() {
            try KeyCheck.require(entry, allowed: ["name", "expression", "message"], at: "in constraint \(index + 1)")
            guard let object = entry as? [String: Any] else { throw Invalid("constraint \(index + 1) must be a mapping") }
            let expression = try ConstraintExpression(try string(object["expression"], "constraints[\(index)].expression"), names: names)
            let name = (object["name"] as? String) ?? "constraint \(index + 1)"
            constraints.append(Constraint(name: name, message: (object["message"] as? String) ?? "\(expression) does not hold") { design in
                expression.isSatisfied(by: design)
            })
        }
        do {
            space = try ParameterSpace(validating: parameters, constraints: constraints)
        } catch let error as SpaceDefinitionError {
            throw Invalid("parameters: \(error.description)")
        }

        guard let metricList = root["metrics"] as? [Any], !metricList.isEmpty else {
            throw Invalid("\"metrics\" must list at least one metric: {name, unit, goal: minimize|maximize, summary}")
        }
        for (index, entry) in metricList.enumerated() {
            try KeyCheck.require(entry, allowed: ["name", "unit", "goal", "summary", "is_deterministic"], at: "in metric \(index + 1)")
        }
        let metrics = try decode([MetricSpec].self, metricList, "metrics")
        guard Set(metrics.map(\.name)).count == metrics.count else { throw Invalid("two metrics have the same name") }
        self.metrics = metrics

        // Workloads: names standing for files next to the spec, or values; optionally any file of the user's.
        // A simulator without workloads to choose from has one, "default".
        let workloadList: [Any]
        if root["workloads"] == nil {
            workloadList = [["name": "default", "summary": "the only workload"]]
        } else if let listed = root["workloads"] as? [Any], !listed.isEmpty {
            workloadList = listed
        } else {
            throw Invalid("\"workloads\" must list at least one workload: {name, summary, file or value} (or be left out for one called default)")
        }
        let workloads = try workloadList.enumerated().map { index, entry -> Workload in
            try KeyCheck.require(entry, allowed: ["name", "summary", "file", "value"], at: "in workload \(index + 1)")
            guard let object = entry as? [String: Any] else { throw Invalid("workload \(index + 1) must be a mapping") }
            let name = try string(object["name"], "workloads[\(index)].name")
            guard !name.contains("<") else { throw Invalid("workload names cannot contain '<'") }
            var file = object["file"] as? String
            if let given = file {
                file = given.hasPrefix("/") ? given : URL(fileURLWithPath: given, relativeTo: URL(fileURLWithPath: folder + "/")).standardizedFileURL.path
                _ = try InputFile.size(file!, what: "workload \(name)")
            }
            return Workload(name: name, summary: (object["summary"] as? String) ?? name, file: file, value: object["value"].map { "\($0)" })
        }
        self.workloads = workloads
        acceptsWorkloadFiles = root["workload_files"] as? Bool ?? false
        let defaultWorkload = (root["default_workload"] as? String) ?? workloads[0].name
        guard workloads.contains(where: { $0.name == defaultWorkload }) else {
            throw Invalid("\"default_workload\" '\(defaultWorkload)' is not one of the workloads: \(workloads.map(\.name).joined(separator: ", "))")
        }
        self.defaultWorkload = defaultWorkload

        let options = try ((root["options"] as? [Any]) ?? []).enumerated().map { index, entry -> Option in
            try KeyCheck.require(entry, allowed: ["key", "summary", "default", "kind", "presets", "choices", "number"], at: "in option \(index + 1)")
            guard let object = entry as? [String: Any] else { throw Invalid("option \(index + 1) must be a mapping") }
            let key = try string(object["key"], "options[\(index)].key")
            guard key.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw Invalid("option key '\(key)' must be letters, digits and _")
            }
            let kindText = (object["kind"] as? String) ?? "value"
            guard let kind = OptionKind(rawValue: kindText) else { throw Invalid("option \(key): kind is value, file or host_setting, not '\(kindText)'") }
            let choices = (object["choices"] as? [Any])?.map { "\($0)" }
            return Option(spec: OptionSpec(key: key, summary: (object["summary"] as? String) ?? key, defaultValue: object["default"].map { "\($0)" },
                                           kind: kind, presets: ((object["presets"] as? [Any]) ?? []).map { "\($0)" }),
                          choices: choices, isNumber: object["number"] as? Bool ?? false)
        }
        self.options = options

        // Objectives over the declared metrics.
        func objective(_ text: Any?, _ key: String) throws -> Objective {
            guard let text = text as? String else { throw Invalid("\"\(key)\" is an objective in compact form, such as cycles:min") }
            do {
                return try Objective.parse(text).resolved(against: metrics)
            } catch {
                throw Invalid("\"\(key)\": \(error)")
            }
        }
        defaultObjective = try root["objective"].map { try objective($0, "objective") } ?? .metric(metrics[0].name, metrics[0].goal)
        var suggested: [String: Objective] = [:]
        for (name, text) in (root["objectives"] as? [String: Any]) ?? [:] { suggested[name] = try objective(text, "objectives.\(name)") }
        suggestedObjectives = suggested

        // How to run: the placeholders every template may use.
        var placeholders = names.union(["workload", "workload_file", "seed", "workdir", "spec_dir"])
        for option in options { placeholders.insert("option.\(option.spec.key)") }
        guard let run = root["run"] as? [String: Any] else { throw Invalid("\"run\" must say how to evaluate: {command: [program, arguments…], …}") }
        try KeyCheck.require(run, allowed: Self.runKeys, at: "in run")
        designFile = run["design_file"] as? String
        if let designFile {
            guard !designFile.contains("/"), !designFile.hasPrefix(".") else { throw Invalid("run.design_file is a file name in the working directory, not '\(designFile)'") }
            placeholders.insert("design_file")
        }
        guard let commandList = run["command"] as? [Any], !commandList.isEmpty else {
            throw Invalid("run.command must list the program and its arguments, such as [python3, \"{spec_dir}/run.py\", \"{array_height}\"]")
        }
        let allowed = placeholders
        command = try commandList.enumerated().map { index, part in
            try CommandTemplate("\(part)", names: allowed, at: "run.command[\(index)]")
        }
        files = try ((run["files"] as? [Any]) ?? []).enumerated().map { index, entry -> (name: String, text: CommandTemplate) in
            try KeyCheck.require(entry, allowed: ["name", "text"], at: "in run.files[\(index)]")
            guard let object = entry as? [String: Any], let name = object["name"] as? String, !name.contains("/"), !name.hasPrefix("."),
                  let text = object["text"] as? String else {
                throw Invalid("run.files[\(index)] is {name: a file name in the working directory, text: its content with placeholders}")
            }
            return (name, try CommandTemplate(text, names: allowed, at: "run.files[\(index)].text"))
        }
        environment = try ((run["environment"] as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }.map { key, value in
            (key, try CommandTemplate("\(value)", names: allowed, at: "run.environment.\(key)"))
        }
        timeout = (run["timeout"] as? Double) ?? 600
        guard timeout > 0 else { throw Invalid("run.timeout is a positive number of seconds") }
        let keep = (run["keep_workdir"] as? String) ?? "never"
        guard let policy = KeepPolicy(rawValue: keep) else { throw Invalid("run.keep_workdir is never, failed or always, not '\(keep)'") }
        keepWorkingDirectory = policy
        infeasibleExitCodes = Set(((run["infeasible_exit_codes"] as? [Any]) ?? []).compactMap { ($0 as? Int).map(Int32.init) })

        // Where each metric comes from: a source by name, or `default` for the rest.
        guard let from = root["metrics_from"] as? [String: Any] else {
            throw Invalid("\"metrics_from\" must say where metrics are read: {default: {json: stdout}} or per metric {csv: …, column: …}")
        }
        try KeyCheck.require(from, allowed: ["default"] + metrics.map(\.name), at: "in metrics_from")
        var sources: [String: MetricSource] = [:]
        let fallback = try from["default"].map { try Self.source($0, metric: nil, placeholders: placeholders) }
        for metric in metrics {
            if let entry = from[metric.name] {
                sources[metric.name] = try Self.source(entry, metric: metric.name, placeholders: placeholders)
            } else if let fallback {
                if case .json(let file, _) = fallback { sources[metric.name] = .json(file: file, key: metric.name) } else {
                    sources[metric.name] = fallback
                }
            } else {
                throw Invalid("metrics_from says nothing of '\(metric.name)': give it a source, or a default")
            }
        }
        self.sources = sources

        // The revision: this file and every file it names as a dependency or workload.
        var fingerprinted = bytes
        for file in workloads.compactMap(\.file) { fingerprinted.append(try InputFile.read(file, what: "workload")) }
        for dependency in (root["depends_on"] as? [Any]) ?? [] {
            let relative = "\(dependency)"
            let file = relative.hasPrefix("/") ? relative : folder + "/" + relative
            fingerprinted.append(try InputFile.read(file, what: "dependency"))
        }
        fingerprint = String(SHA256.hexDigest(Array(fingerprinted)).prefix(16))
    }

    private static func source(_ entry: Any, metric: String?, placeholders: Set<String>) throws -> MetricSource {
        let place = "in metrics_from.\(metric ?? "default")"
        try KeyCheck.require(entry, allowed: ["json", "csv", "regex", "key", "column", "aggregate", "in"], at: place)
        guard let object = entry as? [String: Any] else { throw Invalid("metrics_from.\(metric ?? "default") must be a mapping") }
        func file(_ value: Any?) throws -> CommandTemplate? {
            guard let text = value as? String, text != "stdout" else { return nil }
            guard !text.hasPrefix("/"), !text.split(separator: "/").contains("..") else {
                throw Invalid("\(place): files are read inside the working directory, not '\(text)'")
            }
            return try CommandTemplate(text, names: placeholders, at: place)
        }
        let aggregateText = (object["aggregate"] as? String) ?? "last"
        guard let aggregate = Aggregate(rawValue: aggregateText) else {
            throw Invalid("\(place): aggregate is one of \(Aggregate.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if object["json"] != nil {
            return .json(file: try file(object["json"]), key: (object["key"] as? String) ?? metric ?? "")
        }
        if object["csv"] != nil {
            guard let column = object["column"] as? String else { throw Invalid("\(place): a csv source needs \"column\"") }
            return .csv(file: try file(object["csv"]), column: column, aggregate: aggregate)
        }
        if let pattern = object["regex"] as? String {
            guard let regex = try? NSRegularExpression(pattern: pattern), regex.numberOfCaptureGroups >= 1 else {
                throw Invalid("\(place): regex '\(pattern)' must be a valid pattern with a group around the number")
            }
            let stream = (object["in"] as? String) ?? "stdout"
            return .regex(pattern: pattern, stream: stream, file: ["stdout", "stderr"].contains(stream) ? nil : try file(stream), aggregate: aggregate)
        }
        throw Invalid("\(place): give json (stdout or a file), csv (a file) or regex (a pattern)")
    }
}
