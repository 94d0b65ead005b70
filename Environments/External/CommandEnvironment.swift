import Foundation
import GymCore

/// `Command:<spec file>`: any program as an environment. Its spec file declares the space, metrics,
/// workloads and options, and how to evaluate: each evaluation runs the command in a fresh working
/// directory (with the design's values, the workload, options and seed in its arguments, environment
/// and the files it writes there), under a time limit that kills its whole process group, and reads the
/// metrics from its output. A command that fails, runs out of time, or leaves a metric missing or not a
/// number is a `failed` or `timeout` evaluation saying why, with the tail of its standard error.
///
/// Only the person running `gym` names a spec file (on the command line or in a sweep file): a server
/// serves `Command:` environments only when its own command line names them, and no client picks one.
public struct CommandEnvironment: Environment {
    /// The prefix of command environment ids.
    public static let prefix = "Command:"

    public let spec: EnvironmentSpec
    /// The spec file as read.
    public let command: CommandSpec
    private let workloadFile: String?
    private let workloadValue: String
    private let optionValues: [String: String]
    private let seed: UInt64

    /// The environment of the spec file at `path`, made with `options`.
    public init(path: String, options: EnvironmentOptions) throws {
        let command = try CommandSpec.load(path)
        self.command = command
        var workloads = command.workloads.map { WorkloadSpec(name: $0.name, summary: $0.summary) }
        if command.acceptsWorkloadFiles {
            workloads.append(WorkloadSpec(name: "<file>", summary: "a file of your own, by path"))
        }
        var spec = EnvironmentSpec(
            id: Self.prefix + path, summary: "\(command.declaredID): \(command.summary)", space: command.space, metrics: command.metrics,
            workloads: workloads, workload: command.defaultWorkload, options: command.options.map(\.spec),
            defaultObjective: command.defaultObjective, suggestedObjectives: command.suggestedObjectives,
            isDeterministic: command.isDeterministic)
        spec.revision = "\(command.declaredID)@\(command.fingerprint)"

        // The workload: a declared one, or (when the spec allows) a file of the user's.
        let requested = options.workload ?? command.defaultWorkload
        if let declared = command.workloads.first(where: { $0.name == requested }) {
            workloadFile = declared.file
            workloadValue = declared.value ?? declared.name
            var probe = options
            probe.workload = nil
            _ = try spec.resolveWorkload(probe)
        } else if command.acceptsWorkloadFiles {
            var probe = options
            probe.workload = nil
            _ = try spec.resolveWorkload(probe)
            let absolute = requested.hasPrefix("/") ? requested : FileManager.default.currentDirectoryPath + "/" + requested
            do {
                _ = try InputFile.size(absolute, what: "workload")
            } catch let error as InputFileError {
                throw EnvironmentError.invalidOption(key: "workload", value: requested, reason: error.reason)
            }
            workloadFile = absolute
            workloadValue = URL(fileURLWithPath: requested).deletingPathExtension().lastPathComponent
        } else {
            _ = try spec.resolveWorkload(options)  // names the workloads there are
            throw EnvironmentError.unknownWorkload(requested, environment: spec.id, known: command.workloads.map(\.name))
        }
        spec.workload = requested

        // Options: their defaults, checked values, file paths made absolute (the command runs elsewhere).
        var values: [String: String] = [:]
        for option in command.options {
            let key = option.spec.key
            guard var value = options.values[key] ?? option.spec.defaultValue else { continue }
            if let choices = option.choices, !choices.contains(value) {
                throw EnvironmentError.invalidOption(key: key, value: value, reason: "expected one of \(choices.joined(separator: ", "))")
            }
            if option.isNumber, Double(value) == nil {
                throw EnvironmentError.invalidOption(key: key, value: value, reason: "expected a number")
            }
            if option.spec.kind == .file, !option.spec.presets.contains(value) {
                value = value.hasPrefix("/") ? value : FileManager.default.currentDirectoryPath + "/" + value
                do {
                    _ = try InputFile.size(value, what: "option \(key)")
                } catch let error as InputFileError {
                    throw EnvironmentError.invalidOption(key: key, value: value, reason: error.reason)
                }
            } else if option.choices == nil, !option.isNumber, option.spec.kind == .value,
                      value.hasPrefix("-") || value.range(of: #"^[A-Za-z0-9_.,:=+/@-]*$"#, options: .regularExpression) == nil {
                // Values reach the command's arguments: nothing that reads as a flag or as more than one word.
                throw EnvironmentError.invalidOption(key: key, value: value,
                                                     reason: "a value may hold letters, digits and _ . , : = + / @ - and may not start with -")
            }
            values[key] = value
        }
        optionValues = values
        seed = options.seed
        self.spec = spec
    }

    /// Runs the command on `design` and reads its metrics.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        // A fresh working directory for each evaluation.
        var template = Array((FileManager.default.temporaryDirectory.path + "/designgym-command-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            return .unsuccessful(.failed, message: "cannot make a working directory: \(String(cString: strerror(errno)))")
        }
        let workdir = String(cString: made)

        var values: [String: String] = [
            "workload": workloadValue, "workload_file": workloadFile ?? "", "seed": String(seed), "workdir": workdir,
            "spec_dir": command.folder,
        ]
        for parameter in spec.space.parameters {
            switch design[parameter.name] {
            case .string(let text)?: values[parameter.name] = text
            case .int(let number)?: values[parameter.name] = String(number)
            case .double(let number)?: values[parameter.name] = Parameter.numberText(number)
            case nil: values[parameter.name] = ""
            }
        }
        for (key, value) in optionValues { values["option.\(key)"] = value }
        var evaluation: Evaluation
        do {
            if let designFile = command.designFile {
                values["design_file"] = workdir + "/" + designFile
                try Data(design.canonicalJSON.utf8).write(to: URL(fileURLWithPath: workdir + "/" + designFile))
            }
            for file in command.files {
                try Data(file.text.render(values).utf8).write(to: URL(fileURLWithPath: workdir + "/" + file.name))
            }
            let arguments = command.command.map { $0.render(values) }
            let environment = Dictionary(uniqueKeysWithValues: command.environment.map { ($0.key, $0.value.render(values)) })
            let outcome = try CommandRunner.run(arguments, directory: workdir, environment: environment, timeout: command.timeout)
            evaluation = interpret(outcome, workdir: workdir, values: values)
        } catch {
            evaluation = .unsuccessful(.failed, message: "\(error)")
        }
        let keep = command.keepWorkingDirectory == .always || (command.keepWorkingDirectory == .failed && evaluation.status != .ok)
        if keep {
            evaluation.message = (evaluation.message.map { $0 + " " } ?? "") + "(working directory kept: \(workdir))"
        } else {
            try? FileManager.default.removeItem(atPath: workdir)
        }
        return evaluation
    }

    /// The evaluation a finished command stands for.
    private func interpret(_ outcome: CommandRunner.Outcome, workdir: String, values: [String: String]) -> Evaluation {
        func tail() -> String {
            let text = outcome.errorText
            guard !text.isEmpty else { return "" }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(8).joined(separator: "\n")
            return "; its standard error ends:\n" + lines
        }
        if outcome.timedOut {
            return .unsuccessful(.timeout, message: "the command ran past its time limit of \(Parameter.numberText(min(command.timeout, outcome.seconds))) s and was killed with everything it started\(tail())",
                                 wallTime: outcome.seconds)
        }
        if let signal = outcome.signal {
            return .unsuccessful(.failed, message: "the command was killed by signal \(signal)\(tail())", wallTime: outcome.seconds)
        }
        let status = outcome.exitStatus ?? -1
        if command.infeasibleExitCodes.contains(status) {
            return .unsuccessful(.infeasible, message: "the command exited with \(status), which the spec calls infeasible\(tail())", wallTime: outcome.seconds)
        }
        guard status == 0 else {
            return .unsuccessful(.failed, message: "the command exited with status \(status)\(tail())", wallTime: outcome.seconds)
        }
        if outcome.outputTruncated {
            return .unsuccessful(.failed, message: "the command wrote more than \(CommandRunner.outputLimit) bytes to standard output", wallTime: outcome.seconds)
        }
        var reader = MetricReader(workdir: workdir, values: values, standardOutput: outcome.standardOutput, standardError: outcome.errorTail)
        // A JSON report may say the design is infeasible or failed, with a message.
        if let (reported, message) = reader.reportedStatus(), reported != .ok {
            return .unsuccessful(reported, message: (message ?? "the command reported \(reported.rawValue)") + tail(), wallTime: outcome.seconds)
        }
        var metrics: [String: Double] = [:]
        for metric in spec.metrics {
            do {
                metrics[metric.name] = try reader.read(metric.name, from: command.sources[metric.name]!)
            } catch {
                return .unsuccessful(.failed, message: "metric \(metric.name): \(error)\(tail())", wallTime: outcome.seconds)
            }
        }
        return Evaluation(metrics: metrics, wallTime: outcome.seconds)
    }
}
