extension ParameterSpace {
    /// The design with every value in canonical form, or the first `DesignError` found (unknown or
    /// missing parameter, value outside its domain). Constraints are not checked here: see `isFeasible`.
    public func validate(_ design: Design) throws -> Design {
        // Most designs arrive canonical (from an agent or an earlier validation): one value per parameter,
        // each already in canonical form. They are returned as they are, without building a new dictionary.
        if design.values.count == parameters.count {
            var canonical = true
            for parameter in parameters {
                guard let value = design.values[parameter.name], (try? parameter.canonicalValue(value)) == value else {
                    canonical = false
                    break
                }
            }
            if canonical { return design }
        }
        return try self.design(from: design.values, fillingDefaults: false)
    }

    /// A canonical design from values by name; with `fillingDefaults`, missing parameters take their defaults.
    public func design(from values: [String: ParameterValue], fillingDefaults: Bool) throws -> Design {
        if values.keys.contains(where: { parameter(named: $0) == nil }) {
            for name in values.keys.sorted() where parameter(named: name) == nil {
                throw DesignError.unknownParameter(name, known: names)
            }
        }
        var canonical: [String: ParameterValue] = [:]
        canonical.reserveCapacity(parameters.count)
        for parameter in parameters {
            if let value = values[parameter.name] {
                canonical[parameter.name] = try parameter.canonicalValue(value)
            } else if fillingDefaults {
                canonical[parameter.name] = parameter.defaultValue
            } else {
                throw DesignError.missingParameter(parameter.name)
            }
        }
        return Design(canonical)
    }

    /// Whether `design` is a valid point of the space (constraints aside).
    public func contains(_ design: Design) -> Bool {
        (try? validate(design)) == design
    }
}
