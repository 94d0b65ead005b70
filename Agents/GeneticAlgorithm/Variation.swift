import GymCore

/// Crossover and mutation over the shared parameter space, respecting each parameter's kind.
struct Variation {
    let space: ParameterSpace
    let crossover: String
    let crossoverProbability: Double
    let mutationProbability: Double
    let realSigma: Double

    /// Two children of two parents: uniform crossover takes each gene from either parent with even odds;
    /// one-point crossover swaps every gene after a cut in parameter order.
    func cross(_ a: Design, _ b: Design, using generator: inout SeededGenerator) -> (Design, Design) {
        guard generator.nextBool(probability: crossoverProbability), space.parameters.count > 1 else { return (a, b) }
        var first = a, second = b
        let names = space.names
        if crossover == "one-point" {
            let cut = generator.nextInt(in: 1...(names.count - 1))
            for name in names[cut...] {
                first[name] = b[name]
                second[name] = a[name]
            }
        } else {
            for name in names where generator.nextBool() {
                first[name] = b[name]
                second[name] = a[name]
            }
        }
        return (first, second)
    }

    /// Mutates each gene with `mutationProbability`: a categorical gene takes another choice, an integer or
    /// ordinal gene moves one step (inwards at a bound), a real gene moves by a Gaussian of `realSigma`
    /// times its (log-)range, clamped to its bounds.
    func mutate(_ design: Design, using generator: inout SeededGenerator) -> Design {
        var result = design
        for parameter in space.parameters where generator.nextBool(probability: mutationProbability) {
            guard let value = design[parameter.name] else { continue }
            switch parameter.domain {
            case .categorical(let choices):
                guard choices.count > 1, let index = parameter.index(of: value) else { continue }
                let other = generator.nextInt(below: choices.count - 1)
                result[parameter.name] = parameter.value(at: other >= index ? other + 1 : other)
            case .integer, .ordinal:
                guard let count = parameter.cardinality, count > 1, let index = parameter.index(of: value) else { continue }
                var step = generator.nextBool() ? 1 : -1
                if index + step < 0 || index + step >= count { step = -step }
                result[parameter.name] = parameter.value(at: index + step)
            case .real:
                let unit = parameter.unitCoordinate(of: value) + realSigma * generator.nextGaussian()
                result[parameter.name] = parameter.value(atUnit: min(max(unit, 0), 1))
            }
        }
        return result
    }
}
