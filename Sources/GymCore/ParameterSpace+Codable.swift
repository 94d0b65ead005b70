extension ParameterSpace: Codable, Equatable {
    private enum CodingKeys: String, CodingKey { case parameters, constraints }

    private struct ConstraintDescription: Codable {
        var name: String
        var message: String
    }

    /// Reads `{"parameters": [...], "constraints": [{"name", "message"}]}`. Constraints read this way
    /// are described, not checked: only the environment that declared them can check them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let parameters = try container.decode([Parameter].self, forKey: .parameters)
        let constraints = try container.decodeIfPresent([ConstraintDescription].self, forKey: .constraints) ?? []
        try self.init(validating: parameters,
                      constraints: constraints.map { Constraint(name: $0.name, message: $0.message, predicate: nil) })
    }

    /// Writes the parameters and the constraints' names and messages.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(constraints.map { ConstraintDescription(name: $0.name, message: $0.message) }, forKey: .constraints)
    }

    /// Spaces are equal when their parameters and constraint names are.
    public static func == (lhs: ParameterSpace, rhs: ParameterSpace) -> Bool {
        lhs.parameters == rhs.parameters && lhs.constraints.map(\.name) == rhs.constraints.map(\.name)
    }
}
