import Foundation

/// Everything that describes an environment instance: versioned id, parameter space, metrics with units,
/// workloads, options and default objective.
public struct EnvironmentSpec: Codable, Sendable, Equatable {
    /// The versioned id, `Name-vN`; the version goes up whenever the environment's numbers change.
    public var id: String
    /// One sentence saying what is simulated.
    public var summary: String
    /// The design space every agent searches.
    public var space: ParameterSpace
    /// The metrics every `ok` evaluation reports, in observation order.
    public var metrics: [MetricSpec]
    /// The workloads the environment offers.
    public var workloads: [WorkloadSpec]
    /// The workload this instance runs.
    public var workload: String
    /// Environment-specific options.
    public var options: [OptionSpec]
    /// The objective used when none is given.
    public var defaultObjective: Objective
    /// Ready-made objectives worth knowing, by name (listed by `gym describe`).
    public var suggestedObjectives: [String: Objective]
    /// Whether the same design always gives the same metrics (wall time aside).
    public var isDeterministic: Bool
    /// A fingerprint of what defines the environment beyond its id, when that can change without a new id
    /// (the content of a command environment's spec file): evaluations of another revision are never
    /// answered from the cache.
    public var revision: String?

    /// Creates a spec.
    public init(id: String, summary: String, space: ParameterSpace, metrics: [MetricSpec], workloads: [WorkloadSpec],
                workload: String, options: [OptionSpec] = [], defaultObjective: Objective,
                suggestedObjectives: [String: Objective] = [:], isDeterministic: Bool = true) {
        self.id = id
        self.summary = summary
        self.space = space
        self.metrics = metrics
        self.workloads = workloads
        self.workload = workload
        self.options = options
        self.defaultObjective = defaultObjective
        self.suggestedObjectives = suggestedObjectives
        self.isDeterministic = isDeterministic
        self.revision = nil
    }

    /// The name without the version suffix (`Branin` for `Branin-v0`).
    public var name: String { Self.split(id).name }

    /// The version number (`0` for `Branin-v0`).
    public var version: Int { Self.split(id).version }

    /// Splits a versioned id into its name and version; an id without `-vN` has version 0.
    public static func split(_ id: String) -> (name: String, version: Int) {
        if let range = id.range(of: "-v", options: .backwards), let version = Int(id[range.upperBound...]) {
            return (String(id[..<range.lowerBound]), version)
        }
        return (id, 0)
    }

    /// The metric named `name`.
    public func metric(named name: String) -> MetricSpec? { metrics.first { $0.name == name } }

    /// The observation of an evaluation: its metrics in spec order, 0 where a metric is missing.
    public func observation(of evaluation: Evaluation) -> [Double] {
        metrics.map { evaluation.metrics[$0.name] ?? 0 }
    }
}

extension EnvironmentSpec {
    /// Checks `options` against this spec's workloads and option keys, returning the workload to run.
    public func resolveWorkload(_ options: EnvironmentOptions) throws -> String {
        for key in options.values.keys.sorted() where !self.options.contains(where: { $0.key == key }) {
            throw EnvironmentError.unknownOption(key, environment: id, known: self.options.map(\.key))
        }
        guard let requested = options.workload else { return workload }
        guard workloads.contains(where: { $0.name == requested }) else {
            throw EnvironmentError.unknownWorkload(requested, environment: id, known: workloads.map(\.name))
        }
        return requested
    }
}

