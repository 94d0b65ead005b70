extension ParameterSpace {
    /// The design as one coordinate in [0, 1] per parameter, in declared order.
    public func unitVector(_ design: Design) -> [Double] {
        parameters.map { $0.unitCoordinate(of: design[$0.name] ?? $0.defaultValue) }
    }

    /// The canonical design nearest to a unit vector (coordinates are clamped to [0, 1]).
    /// `design(fromUnitVector: unitVector(d)) == d` for every valid design `d`.
    public func design(fromUnitVector vector: [Double]) -> Design {
        precondition(vector.count == parameters.count, "expected \(parameters.count) coordinates, got \(vector.count)")
        var values: [String: ParameterValue] = [:]
        for (parameter, unit) in zip(parameters, vector) {
            values[parameter.name] = parameter.value(atUnit: unit)
        }
        return Design(values)
    }

    /// The length of a one-hot encoding: one per categorical choice plus one per other parameter.
    public var oneHotWidth: Int { parameters.reduce(0) { $0 + $1.oneHotWidth } }

    /// The design with each categorical parameter as a block of indicators and every other parameter
    /// as its unit coordinate.
    public func oneHotVector(_ design: Design) -> [Double] {
        var vector: [Double] = []
        vector.reserveCapacity(oneHotWidth)
        for parameter in parameters {
            let value = design[parameter.name] ?? parameter.defaultValue
            if case .categorical(let choices) = parameter.domain {
                let chosen = parameter.index(of: value) ?? 0
                vector.append(contentsOf: (0..<choices.count).map { $0 == chosen ? 1 : 0 })
            } else {
                vector.append(parameter.unitCoordinate(of: value))
            }
        }
        return vector
    }

    /// The canonical design of a one-hot vector: each categorical block decodes to its largest entry
    /// (the first on ties), other coordinates as in `design(fromUnitVector:)`.
    public func design(fromOneHotVector vector: [Double]) -> Design {
        precondition(vector.count == oneHotWidth, "expected \(oneHotWidth) coordinates, got \(vector.count)")
        var values: [String: ParameterValue] = [:]
        var offset = 0
        for parameter in parameters {
            if case .categorical(let choices) = parameter.domain {
                let block = vector[offset..<offset + choices.count]
                let best = block.indices.max { block[$0] < block[$1] || (block[$0] == block[$1] && $0 > $1) }!
                values[parameter.name] = parameter.value(at: best - offset)
                offset += choices.count
            } else {
                values[parameter.name] = parameter.value(atUnit: vector[offset])
                offset += 1
            }
        }
        return Design(values)
    }
}
