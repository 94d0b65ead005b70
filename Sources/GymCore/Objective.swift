/// Turns an evaluation's metrics into one scalar reward, always maximised.
///
/// The formulations of ArchGym's environments are stated once here (see `Objective.Kind`). Rewards for
/// evaluations that are not `ok` follow the explicit `onFailure` policy, never a hidden constant.
public struct Objective: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The formula.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// One metric, signed by its goal: `x` to maximise, `−x` to minimise.
        case metric
        /// ArchGym's target reward `Π t/|x − t|` over the targets (each factor capped at 10⁹ when x = t).
        case target
        /// One-sided cost over targets, `−Σ max((x − t)/t, 0)`: zero once every metric is at or under its target.
        case cost
        /// `1/Π x` over the named metrics (`1/latency`, `1/(latency·energy)`); metrics must be positive.
        case inverse
        /// `Σ w·x` with a weight per metric (negative weights for metrics to minimise).
        case sum
        /// `Π x^w` with an exponent per metric (metrics must be positive).
        case product
        /// City-block distance to budgets, negated: `−Σ max(g·(b − x)/|b|, 0)` with g = +1 for a metric to
        /// maximise and −1 for one to minimise, so metrics within budget count zero.
        case cityblock
        /// Several goals at once. The reward vector is each metric signed by its goal; the scalar reward
        /// is the first goal's, for agents that need one.
        case pareto
    }

    /// One metric's part in the formula: its target, budget, weight or exponent, and its goal.
    public struct Term: Codable, Hashable, Sendable {
        /// The metric's name.
        public var metric: String
        /// Target, budget, weight or exponent, by kind (unused by `metric`, `inverse` and `pareto`).
        public var value: Double?
        /// The goal (used by `metric`, `cityblock` and `pareto`).
        public var goal: Goal?

        /// Creates a term.
        public init(metric: String, value: Double? = nil, goal: Goal? = nil) {
            self.metric = metric
            self.value = value
            self.goal = goal
        }
    }

    /// What reward an evaluation that is not `ok` gets.
    public enum FailurePolicy: Hashable, Sendable {
        /// No reward: the trial ranks below every `ok` trial and is stored with a null reward.
        case worst
        /// This fixed reward.
        case reward(Double)
    }

    /// The formula.
    public var kind: Kind
    /// The metrics it uses, in order.
    public var terms: [Term]
    /// The reward of evaluations that are not `ok`, or that break a limit.
    public var onFailure: FailurePolicy
    /// Limits the metrics must respect for the reward to count: `goal` minimize means metric ≤ value,
    /// maximize means metric ≥ value. An evaluation outside a limit is rewarded like a failure. This is
    /// how "minimal error within 10 evaluations" is stated: `l2:min;nfe<=10`.
    public var limits: [Term]

    /// Creates an objective.
    public init(kind: Kind, terms: [Term], onFailure: FailurePolicy = .worst, limits: [Term] = []) {
        self.kind = kind
        self.terms = terms
        self.onFailure = onFailure
        self.limits = limits
    }

    /// Maximise or minimise one metric.
    public static func metric(_ name: String, _ goal: Goal) -> Objective {
        Objective(kind: .metric, terms: [Term(metric: name, goal: goal)])
    }

    /// The names of the metrics the objective reads.
    public var metricNames: [String] { terms.map(\.metric) }

    /// The number of values in the reward vector: the goals of a Pareto objective, one otherwise.
    public var dimension: Int { kind == .pareto ? terms.count : 1 }

    private enum CodingKeys: String, CodingKey { case kind, terms, failureReward = "failure_reward", limits }

    /// Reads `{"kind", "terms": [{"metric", "value", "goal"}], "failure_reward", "limits": [{"metric", "value", "goal"}]}`;
    /// no failure reward means `worst`, no limits means none.
    /// The compact form (`"latency:min"`, as `gym run --objective` takes it) is read as well: a spec written
    /// by hand, or by a host in another language, may use it.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            do {
                self = try Objective.parse(text)
            } catch {
                throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "\(error)"))
            }
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        terms = try container.decode([Term].self, forKey: .terms)
        onFailure = try container.decodeIfPresent(Double.self, forKey: .failureReward).map(FailurePolicy.reward) ?? .worst
        limits = try container.decodeIfPresent([Term].self, forKey: .limits) ?? []
    }

    /// Writes the objective in the form `init(from:)` reads.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(terms, forKey: .terms)
        if case .reward(let value) = onFailure { try container.encode(value, forKey: .failureReward) }
        if !limits.isEmpty { try container.encode(limits, forKey: .limits) }
    }
}
