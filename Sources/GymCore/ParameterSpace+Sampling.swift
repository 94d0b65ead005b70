extension ParameterSpace {
    /// A design drawn uniformly (per parameter, log-uniformly where asked), constraints ignored.
    public func sample(using generator: inout SeededGenerator) -> Design {
        var values: [String: ParameterValue] = [:]
        for parameter in parameters {
            values[parameter.name] = parameter.sample(using: &generator)
        }
        return Design(values)
    }

    /// A design drawn uniformly among the feasible ones by rejection, or nil after `attempts` infeasible draws.
    public func sampleFeasible(using generator: inout SeededGenerator, attempts: Int = 1000) -> Design? {
        for _ in 0..<attempts {
            let design = sample(using: &generator)
            if isFeasible(design) { return design }
        }
        return nil
    }

    /// The designs that differ from `design` in exactly one parameter, moved to a neighbouring value
    /// (see `Parameter.neighbours`), in parameter order. Constraints are ignored.
    public func neighbours(of design: Design, realStep: Double = 0.05) -> [Design] {
        var result: [Design] = []
        for parameter in parameters {
            guard let value = design[parameter.name] else { continue }
            for neighbour in parameter.neighbours(of: value, realStep: realStep) {
                var moved = design
                moved[parameter.name] = neighbour
                result.append(moved)
            }
        }
        return result
    }

    /// Every design of a space without real parameters, in lexicographic order of value indices, up
    /// to `limit` designs. Empty when a parameter is real.
    public func allDesigns(limit: Int = 1_000_000) -> [Design] {
        guard parameters.allSatisfy({ $0.cardinality != nil }) else { return [] }
        var result: [Design] = []
        var indices = [Int](repeating: 0, count: parameters.count)
        while result.count < limit {
            var values: [String: ParameterValue] = [:]
            for (position, parameter) in parameters.enumerated() {
                values[parameter.name] = parameter.value(at: indices[position])
            }
            result.append(Design(values))
            var position = parameters.count - 1
            while position >= 0 {
                indices[position] += 1
                if indices[position] < parameters[position].cardinality! { break }
                indices[position] = 0
                position -= 1
            }
            if position < 0 { break }
        }
        return result
    }
}
