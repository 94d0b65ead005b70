extension Objective {
    /// The reward vector of an evaluation (one value unless the objective is Pareto), or nil when the
    /// evaluation is not `ok` under the `worst` policy, a metric is missing, or the formula is undefined
    /// for these values (a non-positive metric under `inverse` or `product`).
    public func rewards(for evaluation: Evaluation) -> [Double]? {
        guard evaluation.status == .ok, withinLimits(evaluation) else {
            if case .reward(let value) = onFailure { return [Double](repeating: value, count: dimension) }
            return nil
        }
        var values: [Double] = []
        for term in terms {
            guard let value = evaluation.metrics[term.metric], value.isFinite else { return nil }
            values.append(value)
        }
        let result: [Double]?
        switch kind {
        case .metric:
            result = [(terms[0].goal ?? .maximize).sign * values[0]]
        case .target:
            result = [zip(terms, values).reduce(1.0) { product, pair in
                let target = pair.0.value ?? 0
                return product * abs(target) / max(abs(pair.1 - target), 1e-9 * max(abs(target), 1e-300))
            }]
        case .cost:
            result = [-zip(terms, values).reduce(0.0) { sum, pair in
                let target = pair.0.value ?? 1
                return sum + max((pair.1 - target) / abs(target), 0)
            }]
        case .inverse:
            let product = values.reduce(1.0, *)
            result = product > 0 ? [1 / product] : nil
        case .sum:
            result = [zip(terms, values).reduce(0.0) { $0 + ($1.0.value ?? 1) * $1.1 }]
        case .product:
            result = values.allSatisfy({ $0 > 0 })
                ? [zip(terms, values).reduce(1.0) { $0 * pow($1.1, $1.0.value ?? 1) }] : nil
        case .cityblock:
            result = [-zip(terms, values).reduce(0.0) { sum, pair in
                let budget = pair.0.value ?? 0
                let sign = (pair.0.goal ?? .minimize).sign
                return sum + max(sign * (budget - pair.1) / max(abs(budget), 1e-300), 0)
            }]
        case .pareto:
            result = zip(terms, values).map { ($0.goal ?? .maximize).sign * $1 }
        }
        guard let result, result.allSatisfy(\.isFinite) else { return nil }
        return result
    }

    /// Whether every limit holds for an evaluation (a missing metric breaks its limit).
    public func withinLimits(_ evaluation: Evaluation) -> Bool {
        limits.allSatisfy { limit in
            guard let value = evaluation.metrics[limit.metric], let bound = limit.value else { return false }
            return limit.goal == .maximize ? value >= bound : value <= bound
        }
    }

    /// The scalar reward of an evaluation: the only value, or the first goal's for a Pareto objective.
    public func reward(for evaluation: Evaluation) -> Double? {
        rewards(for: evaluation)?.first
    }

    /// Throws an `ObjectiveError` if a metric is unknown to `metrics` or a term lacks what its kind needs;
    /// fills goals left out with the metrics' declared goals.
    public func resolved(against metrics: [MetricSpec]) throws -> Objective {
        guard !terms.isEmpty else { throw ObjectiveError.malformed(description, reason: "it names no metric") }
        if kind == .metric && terms.count != 1 {
            throw ObjectiveError.malformed(description, reason: "a metric objective names exactly one metric")
        }
        var copy = self
        for limit in limits {
            guard metrics.contains(where: { $0.name == limit.metric }) else {
                throw ObjectiveError.unknownMetric(limit.metric, known: metrics.map(\.name))
            }
            if limit.value == nil || limit.goal == nil {
                throw ObjectiveError.malformed(description, reason: "the limit on '\(limit.metric)' needs a bound and a direction")
            }
        }
        for index in copy.terms.indices {
            let term = copy.terms[index]
            guard let spec = metrics.first(where: { $0.name == term.metric }) else {
                throw ObjectiveError.unknownMetric(term.metric, known: metrics.map(\.name))
            }
            if copy.terms[index].goal == nil { copy.terms[index].goal = spec.goal }
            let needsValue: Set<Kind> = [.target, .cost, .cityblock]
            if needsValue.contains(kind) && term.value == nil {
                throw ObjectiveError.malformed(description, reason: "metric '\(term.metric)' needs a \(kind == .cityblock ? "budget" : "target") value")
            }
            if (kind == .target || kind == .cost), term.value == 0 {
                throw ObjectiveError.malformed(description, reason: "the target of '\(term.metric)' must not be zero")
            }
        }
        return copy
    }

    /// Whether reward `a` is better than reward `b` (a present reward beats an absent one).
    public static func isBetter(_ a: Double?, than b: Double?) -> Bool {
        switch (a, b) {
        case (.some(let x), .some(let y)): return x > y
        case (.some, .none): return true
        default: return false
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An objective that cannot be used: unknown metric, or a term missing its target.
public enum ObjectiveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The objective names a metric the environment does not report.
    case unknownMetric(String, known: [String])
    /// The objective text or JSON is not in a form DesignGym reads.
    case malformed(String, reason: String)

    /// A sentence naming what was wrong and what is allowed.
    public var description: String {
        switch self {
        case .unknownMetric(let name, let known):
            return "unknown metric '\(name)' in the objective; the metrics are: \(known.joined(separator: ", "))"
        case .malformed(let text, let reason):
            return "cannot read objective '\(text)': \(reason)"
        }
    }
}
