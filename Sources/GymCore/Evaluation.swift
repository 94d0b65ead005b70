/// How an evaluation ended.
public enum EvaluationStatus: String, Codable, Hashable, Sendable, CaseIterable {
    /// The simulator ran and every declared metric was measured.
    case ok
    /// The design is valid but cannot be built or run (it breaks a constraint of the space or of the model).
    case infeasible
    /// The simulator failed on this design; the evaluation's message says why.
    case failed
    /// The evaluation ran past its time limit.
    case timeout
}

/// What one evaluation of one design produced: raw metrics with the units the environment declared,
/// the status, the wall time and free-form details. Raw metrics are always kept, whatever the objective.
public struct Evaluation: Codable, Hashable, Sendable {
    /// How the evaluation ended.
    public var status: EvaluationStatus
    /// Metric values by name, in the units of the environment's `MetricSpec`s.
    public var metrics: [String: Double]
    /// Wall-clock time the evaluation took, in seconds.
    public var wallTime: Double
    /// Why the evaluation was not `ok`, in words.
    public var message: String?
    /// Anything else the environment reports (per-seed values, breakdowns, simulator versions).
    public var details: [String: JSONValue]

    /// Creates an evaluation.
    public init(status: EvaluationStatus = .ok, metrics: [String: Double], wallTime: Double = 0,
                message: String? = nil, details: [String: JSONValue] = [:]) {
        self.status = status
        self.metrics = metrics
        self.wallTime = wallTime
        self.message = message
        self.details = details
    }

    /// An evaluation with no metrics and a reason: for infeasible, failed or timed-out evaluations.
    public static func unsuccessful(_ status: EvaluationStatus, message: String, wallTime: Double = 0) -> Evaluation {
        Evaluation(status: status, metrics: [:], wallTime: wallTime, message: message)
    }

    /// This evaluation, or a `failed` one saying why, when it claims `ok` without every metric of `metrics`
    /// as a finite number, or with a metric they lack: how an evaluation from another process (a worker or
    /// server hosting the environment in another language) is checked before anyone scores it. `source`
    /// names that process.
    public func checked(against declared: [MetricSpec], from source: String) -> Evaluation {
        guard status == .ok else { return self }
        let names = Set(declared.map(\.name))
        var problem: String?
        if let missing = declared.first(where: { metrics[$0.name] == nil }) {
            problem = "it lacks metric '\(missing.name)'"
        } else if let bad = metrics.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFinite }) {
            problem = "metric '\(bad.key)' is \(bad.value), not a finite number"
        } else if let unknown = metrics.keys.sorted().first(where: { !names.contains($0) }) {
            problem = "it has metric '\(unknown)', which the environment does not declare (it declares \(declared.map(\.name).joined(separator: ", ")))"
        }
        guard let problem else { return self }
        var failed = Evaluation.unsuccessful(.failed, message: "\(source) reported an ok evaluation, but \(problem)", wallTime: wallTime)
        failed.details = details
        return failed
    }

    private enum CodingKeys: String, CodingKey { case status, metrics, wallTime = "wall_time", message, details }

    /// Reads an evaluation; `details` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(EvaluationStatus.self, forKey: .status)
        metrics = try container.decodeIfPresent([String: Double].self, forKey: .metrics) ?? [:]
        wallTime = try container.decodeIfPresent(Double.self, forKey: .wallTime) ?? 0
        message = try container.decodeIfPresent(String.self, forKey: .message)
        details = try container.decodeIfPresent([String: JSONValue].self, forKey: .details) ?? [:]
    }
}

/// Whether a metric is better small or large.
public enum Goal: String, Codable, Hashable, Sendable {
    /// Smaller is better (latency, energy, error).
    case minimize
    /// Larger is better (accuracy, bandwidth).
    case maximize

    /// +1 for maximize, −1 for minimize: multiplying by it turns a metric into something to maximise.
    public var sign: Double { self == .maximize ? 1 : -1 }
}

/// A metric an environment reports: its name, unit and which direction is better.
public struct MetricSpec: Codable, Hashable, Sendable {
    /// The metric's name, as it appears in evaluations.
    public var name: String
    /// Its unit ("ns", "mW", "pJ", "cycles", "bytes", "1" for dimensionless).
    public var unit: String
    /// Which direction is better.
    public var goal: Goal
    /// One sentence saying what is measured.
    public var summary: String
    /// False for a metric measured on this machine (a timing), which differs from run to run even when
    /// everything else is deterministic; conformance checks leave it out of repeatability.
    public var isDeterministic: Bool

    /// Creates a metric spec.
    public init(name: String, unit: String, goal: Goal, summary: String = "", isDeterministic: Bool = true) {
        self.name = name
        self.unit = unit
        self.goal = goal
        self.summary = summary
        self.isDeterministic = isDeterministic
    }

    private enum CodingKeys: String, CodingKey { case name, unit, goal, summary, isDeterministic = "is_deterministic" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        unit = try container.decode(String.self, forKey: .unit)
        goal = try container.decode(Goal.self, forKey: .goal)
        summary = try container.decodeIfPresent(String.self, forKey: .summary) ?? ""
        isDeterministic = try container.decodeIfPresent(Bool.self, forKey: .isDeterministic) ?? true
    }

    /// Writes `is_deterministic` only when false, so specs stored before it existed read the same.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(unit, forKey: .unit)
        try container.encode(goal, forKey: .goal)
        try container.encode(summary, forKey: .summary)
        if !isDeterministic { try container.encode(false, forKey: .isDeterministic) }
    }
}
