import Foundation

extension Parameter {
    /// The value's coordinate in [0, 1]: the centre of its slot for categorical values, the scaled
    /// (log-scaled where asked) position for integers and reals, the rank for ordinals.
    public func unitCoordinate(of value: ParameterValue) -> Double {
        switch domain {
        case .categorical(let choices):
            let index = Double(self.index(of: value) ?? 0)
            return (index + 0.5) / Double(choices.count)
        case .integer(let lower, let upper, _, let logScale):
            guard upper > lower, let number = value.number else { return 0.5 }
            return Self.position(number, Double(lower), Double(upper), logScale)
        case .real(let lower, let upper, let logScale):
            guard upper > lower, let number = value.number else { return 0.5 }
            return Self.position(number, lower, upper, logScale)
        case .ordinal(let values):
            guard values.count > 1 else { return 0.5 }
            return Double(self.index(of: value) ?? 0) / Double(values.count - 1)
        }
    }

    /// The canonical value at coordinate `unit` (clamped to [0, 1]); the inverse of `unitCoordinate(of:)`
    /// for every valid value.
    public func value(atUnit unit: Double) -> ParameterValue {
        let u = unit.isNaN ? 0.5 : min(max(unit, 0), 1)
        switch domain {
        case .categorical(let choices):
            return value(at: min(choices.count - 1, Int((u * Double(choices.count)).rounded(.down))))
        case .integer(let lower, let upper, let step, let logScale):
            guard upper > lower else { return .int(lower) }
            let continuous = Self.point(at: u, Double(lower), Double(upper), logScale)
            let count = (upper - lower) / step + 1
            let index = min(count - 1, max(0, Int(((continuous - Double(lower)) / Double(step)).rounded())))
            return .int(lower + index * step)
        case .real(let lower, let upper, let logScale):
            guard upper > lower else { return .double(lower) }
            let continuous = Self.point(at: u, lower, upper, logScale)
            return .double(min(max(quantize(continuous), lower), upper))
        case .ordinal(let values):
            return value(at: Int((u * Double(values.count - 1)).rounded()))
        }
    }

    /// The width of the parameter's block in a one-hot encoding: one per choice for categorical
    /// parameters, one otherwise.
    public var oneHotWidth: Int {
        if case .categorical(let choices) = domain { return choices.count }
        return 1
    }

    private static func position(_ value: Double, _ lower: Double, _ upper: Double, _ logScale: Bool) -> Double {
        logScale ? (log(value) - log(lower)) / (log(upper) - log(lower)) : (value - lower) / (upper - lower)
    }

    private static func point(at unit: Double, _ lower: Double, _ upper: Double, _ logScale: Bool) -> Double {
        logScale ? exp(log(lower) + unit * (log(upper) - log(lower))) : lower + unit * (upper - lower)
    }
}
