import Foundation

/// A simulator of a design space behind one contract: a spec, and `evaluate`.
///
/// An environment is created with `EnvironmentOptions` (workload, seed, fidelity, options), never exits
/// the process, never writes outside a per-evaluation temporary directory, and may be instantiated many
/// times. `evaluate` is called from one thread at a time per instance; run instances in parallel.
public protocol Environment: Sendable {
    /// What the environment is: id, space, metrics, workloads, default objective.
    var spec: EnvironmentSpec { get }

    /// Simulates one design. Throws `DesignError` when the design is not a valid point of the space;
    /// reports infeasible or failed simulations through the evaluation's status.
    func evaluate(_ design: Design) throws -> Evaluation

    /// Reads a design written as JSON: a flat object of parameter values, or a format of the
    /// simulator's own that the environment accepts (such as a DRAMSys mcconfig).
    func design(fromJSON text: String) throws -> Design
}

extension Environment {
    /// A flat JSON object of parameter values.
    public func design(fromJSON text: String) throws -> Design { try Design.parse(json: text) }
}

extension Environment {
    /// Validates `design`, checks the space's constraints, evaluates it and times it. Never throws:
    /// an invalid design, a broken constraint or a simulator error comes back as an evaluation whose
    /// status and message say what happened. With a `timeLimit` (seconds), a simulation still running
    /// then stops at its next check and the evaluation has status `timeout`.
    public func measure(_ design: Design, timeLimit: Double? = nil) -> Evaluation {
        do {
            return try attempt(design, timeLimit: timeLimit)
        } catch {
            return .unsuccessful(.failed, message: String(describing: error))
        }
    }

    /// `measure`, except that an environment that cannot be reached (`EnvironmentUnreachable`: its server
    /// or broker is gone) throws: nothing was evaluated, so there is no evaluation to record. Loops that
    /// log trials use this, stop, and leave the experiment to be resumed. Throws nothing else.
    public func attempt(_ design: Design, timeLimit: Double? = nil) throws -> Evaluation {
        guard let timeLimit else { return try measureUnderActiveDeadline(design) }
        return try EvaluationDeadline.with(EvaluationDeadline(seconds: timeLimit)) { try measureUnderActiveDeadline(design) }
    }

    /// Throws nothing but `EnvironmentUnreachable`.
    private func measureUnderActiveDeadline(_ design: Design) throws -> Evaluation {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let canonical: Design
        do {
            canonical = try spec.space.validate(design)
        } catch {
            return .unsuccessful(.failed, message: String(describing: error), wallTime: elapsed())
        }
        if let broken = spec.space.violatedConstraints(canonical).first {
            return .unsuccessful(.infeasible, message: "constraint '\(broken.name)': \(broken.message)", wallTime: elapsed())
        }
        do {
            var evaluation = try evaluate(canonical)
            if evaluation.wallTime == 0 { evaluation.wallTime = elapsed() }
            return evaluation
        } catch let timedOut as EvaluationTimedOut {
            return .unsuccessful(.timeout, message: timedOut.description, wallTime: elapsed())
        } catch let unreachable as EnvironmentUnreachable {
            throw unreachable
        } catch {
            return .unsuccessful(.failed, message: String(describing: error), wallTime: elapsed())
        }
    }
}

/// The options an environment is created with.
public struct EnvironmentOptions: Codable, Hashable, Sendable {
    /// The workload to run; nil for the environment's default.
    public var workload: String?
    /// The seed of any randomness inside the environment.
    public var seed: UInt64
    /// A fidelity level, for environments that offer several; nil for the default.
    public var fidelity: String?
    /// Environment-specific settings (`--option key=value`), such as a device file.
    public var values: [String: String]

    /// Creates options.
    public init(workload: String? = nil, seed: UInt64 = 0, fidelity: String? = nil, values: [String: String] = [:]) {
        self.workload = workload
        self.seed = seed
        self.fidelity = fidelity
        self.values = values
    }
}

/// A workload an environment can run.
public struct WorkloadSpec: Codable, Hashable, Sendable {
    /// The workload's name, as given to `--workload`.
    public var name: String
    /// One sentence saying what it is.
    public var summary: String

    /// Creates a workload spec.
    public init(name: String, summary: String) {
        self.name = name
        self.summary = summary
    }
}

/// What an option's value names, which decides who may set it: a server lets its clients set plain
/// values, files only inside the folder its operator allowed, and host settings never.
public enum OptionKind: String, Codable, Hashable, Sendable {
    /// A number or a word: anyone may set it.
    case value
    /// A file's path, or one of the option's `presets`.
    case file
    /// A setting of the machine running the environment (such as a cache folder): only its operator sets it.
    case hostSetting = "host_setting"
}

/// An environment-specific option (`--option key=value`).
public struct OptionSpec: Codable, Hashable, Sendable {
    /// The option's key.
    public var key: String
    /// What it sets, and what values it takes.
    public var summary: String
    /// The value used when it is not given, if any.
    public var defaultValue: String?
    /// What its value names.
    public var kind: OptionKind
    /// For a file option, the names it takes that are not files (built-in presets).
    public var presets: [String]

    /// Creates an option spec.
    public init(key: String, summary: String, defaultValue: String? = nil, kind: OptionKind = .value, presets: [String] = []) {
        self.key = key
        self.summary = summary
        self.defaultValue = defaultValue
        self.kind = kind
        self.presets = presets
    }

    private enum CodingKeys: String, CodingKey { case key, summary, defaultValue, kind, presets }

    /// Reads an option spec; `kind` and `presets` may be absent (specs stored before they existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        summary = try container.decode(String.self, forKey: .summary)
        defaultValue = try container.decodeIfPresent(String.self, forKey: .defaultValue)
        kind = try container.decodeIfPresent(OptionKind.self, forKey: .kind) ?? .value
        presets = try container.decodeIfPresent([String].self, forKey: .presets) ?? []
    }

    /// Writes `kind` and `presets` only when they say something, so plain options read as before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(summary, forKey: .summary)
        try container.encodeIfPresent(defaultValue, forKey: .defaultValue)
        if kind != .value { try container.encode(kind, forKey: .kind) }
        if !presets.isEmpty { try container.encode(presets, forKey: .presets) }
    }
}

/// Wrong options for an environment: the error names what was given and what is allowed.
public enum EnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The workload is not one the environment offers.
    case unknownWorkload(String, environment: String, known: [String])
    /// The option key is not one the environment reads.
    case unknownOption(String, environment: String, known: [String])
    /// The option's value cannot be used.
    case invalidOption(key: String, value: String, reason: String)

    /// A sentence naming what was wrong and what is allowed.
    public var description: String {
        switch self {
        case .unknownWorkload(let name, let environment, let known):
            return "\(environment) has no workload '\(name)'; the workloads are: \(known.joined(separator: ", "))"
        case .unknownOption(let key, let environment, let known):
            let list = known.isEmpty ? "it takes no options" : "its options are: \(known.joined(separator: ", "))"
            return "\(environment) has no option '\(key)'\(Suggestion.phrase(for: key, among: known)); \(list)"
        case .invalidOption(let key, let value, let reason):
            return "option \(key)=\(value) cannot be used: \(reason)"
        }
    }
}

/// The environment could not be reached (its server or broker stopped answering for longer than the
/// client waits, or lost the session): the evaluation did not happen. Not a result of the design.
public struct EnvironmentUnreachable: Error, CustomStringConvertible, Sendable {
    /// What went wrong and for how long, with what to do.
    public let description: String

    /// An unreachable environment, described.
    public init(_ description: String) { self.description = description }
}
