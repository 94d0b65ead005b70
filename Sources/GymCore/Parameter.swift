/// One named knob of a design space, with its domain and default value.
public struct Parameter: Hashable, Sendable {
    /// The set of values a parameter may take.
    public enum Domain: Hashable, Sendable {
        /// One of a list of named choices.
        case categorical([String])
        /// Whole numbers `lower + k·step` within the bounds; `logScale` makes sampling and encoding uniform in log space.
        case integer(lower: Int, upper: Int, step: Int, logScale: Bool)
        /// Real numbers within the bounds; `logScale` makes sampling and encoding uniform in log space.
        case real(lower: Double, upper: Double, logScale: Bool)
        /// An explicit ascending list of numbers, such as powers of two.
        case ordinal([Double])
    }

    /// The parameter's name, unique within its space.
    public var name: String
    /// The values it may take.
    public var domain: Domain
    /// The value used when a design leaves this parameter out, and by agents that start from defaults.
    public var defaultValue: ParameterValue
    /// One sentence saying what the knob does.
    public var summary: String
    /// The unit of a numeric parameter, if it has one (for example "ns" or "bytes").
    public var unit: String?

    /// Creates a parameter; `check()` tells whether the domain and default are consistent.
    public init(name: String, domain: Domain, defaultValue: ParameterValue, summary: String = "", unit: String? = nil) {
        self.name = name
        self.domain = domain
        self.defaultValue = defaultValue
        self.summary = summary
        self.unit = unit
    }

    /// A categorical parameter; the default is the first choice unless given.
    public static func categorical(
        _ name: String, _ choices: [String], default defaultValue: String? = nil, summary: String = ""
    ) -> Parameter {
        Parameter(name: name, domain: .categorical(choices), defaultValue: .string(defaultValue ?? choices.first ?? ""),
                  summary: summary)
    }

    /// An integer parameter over `range` in steps of `step`; the default is the lower bound unless given.
    public static func integer(
        _ name: String, _ range: ClosedRange<Int>, step: Int = 1, logScale: Bool = false, default defaultValue: Int? = nil,
        summary: String = "", unit: String? = nil
    ) -> Parameter {
        Parameter(name: name, domain: .integer(lower: range.lowerBound, upper: range.upperBound, step: step, logScale: logScale),
                  defaultValue: .int(defaultValue ?? range.lowerBound), summary: summary, unit: unit)
    }

    /// A real parameter over `range`; the default is the midpoint (geometric midpoint on a log scale) unless given.
    public static func real(
        _ name: String, _ range: ClosedRange<Double>, logScale: Bool = false, default defaultValue: Double? = nil,
        summary: String = "", unit: String? = nil
    ) -> Parameter {
        let midpoint = logScale
            ? (range.lowerBound * range.upperBound).squareRoot() : (range.lowerBound + range.upperBound) / 2
        return Parameter(name: name, domain: .real(lower: range.lowerBound, upper: range.upperBound, logScale: logScale),
                         defaultValue: .double(defaultValue ?? midpoint), summary: summary, unit: unit)
    }

    /// An ordinal parameter over an ascending list of numbers; the default is the first unless given.
    public static func ordinal(
        _ name: String, _ values: [Double], default defaultValue: Double? = nil, summary: String = "", unit: String? = nil
    ) -> Parameter {
        let whole = values.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 }
        let chosen = defaultValue ?? values.first ?? 0
        return Parameter(name: name, domain: .ordinal(values), defaultValue: whole ? .int(Int(chosen)) : .double(chosen),
                         summary: summary, unit: unit)
    }

    /// The number of values the parameter can take, or nil for a real parameter.
    public var cardinality: Int? {
        switch domain {
        case .categorical(let choices): return choices.count
        case .integer(let lower, let upper, let step, _): return (upper - lower) / step + 1
        case .real: return nil
        case .ordinal(let values): return values.count
        }
    }

    /// Whether the parameter's values are the strings of a categorical domain.
    public var isCategorical: Bool {
        if case .categorical = domain { return true }
        return false
    }

    /// Throws a `SpaceDefinitionError` when the domain is empty or unordered, or the default is not in it.
    public func check() throws {
        func fail(_ reason: String) -> SpaceDefinitionError { SpaceDefinitionError(parameter: name, reason: reason) }
        switch domain {
        case .categorical(let choices):
            if choices.isEmpty { throw fail("a categorical parameter needs at least one choice") }
            if Set(choices).count != choices.count { throw fail("categorical choices must be distinct") }
        case .integer(let lower, let upper, let step, let logScale):
            if lower > upper { throw fail("lower bound \(lower) is above upper bound \(upper)") }
            if step < 1 { throw fail("step must be at least 1, not \(step)") }
            // Counts of values and unit coordinates stay exact in a double.
            let (span, overflow) = upper.subtractingReportingOverflow(lower)
            if overflow || span > 1 << 52 { throw fail("the bounds are more than 2^52 apart, the widest range allowed") }
            if logScale && lower < 1 { throw fail("a log-scale integer needs a lower bound of at least 1") }
        case .real(let lower, let upper, let logScale):
            if !(lower.isFinite && upper.isFinite && (upper - lower).isFinite) { throw fail("bounds must be finite, and so must their difference") }
            if lower > upper { throw fail("lower bound \(lower) is above upper bound \(upper)") }
            if logScale && lower <= 0 { throw fail("a log-scale real needs a positive lower bound") }
        case .ordinal(let values):
            if values.isEmpty { throw fail("an ordinal parameter needs at least one value") }
            if !values.allSatisfy(\.isFinite) { throw fail("ordinal values must be finite") }
            if zip(values, values.dropFirst()).contains(where: { $0 >= $1 }) {
                throw fail("ordinal values must be strictly ascending")
            }
        }
        do {
            _ = try canonicalValue(defaultValue)
        } catch let error as DesignError {
            throw fail("the default is not allowed: \(error.description)")
        }
    }
}

/// A parameter space that is itself ill-formed (an empty domain, a default outside it, a duplicate name).
public struct SpaceDefinitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The parameter at fault.
    public var parameter: String
    /// What is wrong with it.
    public var reason: String

    /// Creates the error.
    public init(parameter: String, reason: String) {
        self.parameter = parameter
        self.reason = reason
    }

    /// A sentence naming the parameter and the fault.
    public var description: String { "parameter '\(parameter)': \(reason)" }
}
