extension Parameter {
    /// A value drawn uniformly from the domain (uniformly in log space for log-scale parameters).
    public func sample(using generator: inout SeededGenerator) -> ParameterValue {
        switch domain {
        case .categorical, .ordinal:
            return value(at: generator.nextInt(below: cardinality!))
        case .integer(_, _, _, let logScale):
            if logScale { return value(atUnit: generator.nextUnit()) }
            return value(at: generator.nextInt(below: cardinality!))
        case .real:
            return value(atUnit: generator.nextUnit())
        }
    }

    /// The values next to `value`: every other choice of a categorical parameter, the adjacent steps of an
    /// integer or ordinal one, and a move of `realStep` (a fraction of the unit range) each way for a real one.
    public func neighbours(of value: ParameterValue, realStep: Double = 0.05) -> [ParameterValue] {
        switch domain {
        case .categorical(let choices):
            return choices.filter { $0 != value.string }.map(ParameterValue.string)
        case .integer, .ordinal:
            guard let index = index(of: value) else { return [] }
            return [index - 1, index + 1].filter { $0 >= 0 && $0 < cardinality! }.map { self.value(at: $0) }
        case .real:
            let unit = unitCoordinate(of: value)
            var result: [ParameterValue] = []
            for moved in [unit - realStep, unit + realStep] where moved >= -1e-12 && moved <= 1 + 1e-12 {
                let candidate = self.value(atUnit: moved)
                if candidate != value && !result.contains(candidate) { result.append(candidate) }
            }
            return result
        }
    }
}
