/// The ordered parameters of a design space, with optional feasibility constraints.
///
/// Every agent sees the same space: there are no agent-specific value sets. A design that fits every
/// parameter's domain but breaks a constraint is *valid* yet *infeasible*: environments report it with
/// the `infeasible` status rather than rejecting it.
public struct ParameterSpace: Sendable {
    /// The parameters, in their declared order (the order of encodings and observations).
    public let parameters: [Parameter]
    /// Predicates a feasible design must satisfy.
    public let constraints: [Constraint]
    private let positions: [String: Int]

    /// Creates a space; a malformed definition (duplicate names, an empty domain, a default outside its
    /// domain) is a programming error and stops the program with the reason. Use `validated` for
    /// definitions read from input.
    public init(_ parameters: [Parameter], constraints: [Constraint] = []) {
        do {
            try self.init(validating: parameters, constraints: constraints)
        } catch {
            preconditionFailure("invalid parameter space: \(error)")
        }
    }

    /// Creates a space, throwing a `SpaceDefinitionError` if the definition is malformed.
    public init(validating parameters: [Parameter], constraints: [Constraint] = []) throws {
        var positions: [String: Int] = [:]
        var canonical: [Parameter] = []
        for (index, parameter) in parameters.enumerated() {
            if positions[parameter.name] != nil {
                throw SpaceDefinitionError(parameter: parameter.name, reason: "the name is used twice")
            }
            positions[parameter.name] = index
            try parameter.check()
            var copy = parameter
            copy.defaultValue = try parameter.canonicalValue(parameter.defaultValue)
            canonical.append(copy)
        }
        self.parameters = canonical
        self.constraints = constraints
        self.positions = positions
    }

    /// The parameter named `name`, if the space has one.
    public func parameter(named name: String) -> Parameter? {
        positions[name].map { parameters[$0] }
    }

    /// The parameter names in declared order.
    public var names: [String] { parameters.map(\.name) }

    /// The design that takes every parameter's default.
    public var defaultDesign: Design {
        Design(Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.defaultValue) }))
    }

    /// The number of distinct designs (constraints ignored), or infinity when a parameter is real.
    public var size: Double {
        var product = 1.0
        for parameter in parameters {
            guard let count = parameter.cardinality else { return .infinity }
            product *= Double(count)
        }
        return product
    }

    /// The constraints `design` breaks (empty when it is feasible).
    public func violatedConstraints(_ design: Design) -> [Constraint] {
        constraints.filter { !$0.isSatisfied(design) }
    }

    /// Whether `design` satisfies every constraint.
    public func isFeasible(_ design: Design) -> Bool {
        constraints.allSatisfy { $0.isSatisfied(design) }
    }
}

/// A feasibility rule on designs, with a message saying what it requires.
public struct Constraint: Sendable {
    /// A short identifier for the rule.
    public var name: String
    /// What the rule requires, in words (shown when a design breaks it).
    public var message: String
    /// The rule; nil when the space was read from a description and only its environment can check it.
    public var predicate: (@Sendable (Design) -> Bool)?

    /// Creates a rule.
    public init(name: String, message: String, predicate: (@Sendable (Design) -> Bool)?) {
        self.name = name
        self.message = message
        self.predicate = predicate
    }

    /// Whether `design` satisfies the rule (true when the rule cannot be checked here).
    public func isSatisfied(_ design: Design) -> Bool {
        predicate?(design) ?? true
    }
}
