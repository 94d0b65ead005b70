import Foundation

extension Parameter {
    /// A human-readable statement of the allowed values, used in error messages and `gym describe`.
    public var allowedDescription: String {
        switch domain {
        case .categorical(let choices):
            return "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .integer(let lower, let upper, let step, let logScale):
            let stepText = step == 1 ? "" : " in steps of \(step)"
            return "an integer from \(lower) to \(upper)\(stepText)" + (logScale ? " (log scale)" : "")
        case .real(let lower, let upper, let logScale):
            return "a real number from \(lower) to \(upper)" + (logScale ? " (log scale)" : "")
        case .ordinal(let values):
            return "one of " + values.map { Self.numberText($0) }.joined(separator: ", ")
        }
    }

    /// Whether every ordinal value is a whole number, so values are held as integers.
    var ordinalIsWhole: Bool {
        guard case .ordinal(let values) = domain else { return false }
        return values.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 }
    }

    /// The value in its one canonical form (integers as `.int`, reals rounded to the space's resolution,
    /// ordinals as their listed entry), or a `DesignError` naming what is allowed.
    public func canonicalValue(_ value: ParameterValue) throws -> ParameterValue {
        // The error, with its description of what is allowed, is built only when it is thrown.
        var invalid: DesignError { DesignError.invalidValue(parameter: name, value: value, allowed: allowedDescription) }
        switch domain {
        case .categorical(let choices):
            let text: String
            switch value {
            case .string(let string): text = string
            case .int(let number): text = String(number)
            case .double(let number): text = Self.numberText(number)
            }
            guard choices.contains(text) else { throw invalid }
            return .string(text)
        case .integer(let lower, let upper, let step, _):
            guard let number = value.number, number.isFinite, number == number.rounded(), abs(number) < 9e15 else { throw invalid }
            let whole = Int(number)
            guard whole >= lower, whole <= upper, (whole - lower) % step == 0 else { throw invalid }
            return .int(whole)
        case .real(let lower, let upper, _):
            guard let number = value.number, number.isFinite else { throw invalid }
            let quantized = quantize(number)
            guard quantized >= lower, quantized <= upper else { throw invalid }
            return .double(quantized)
        case .ordinal(let values):
            guard let number = value.number, number.isFinite else { throw invalid }
            let tolerance = 1e-9 * max(1, abs(number))
            guard let match = values.first(where: { abs($0 - number) <= tolerance }) else { throw invalid }
            return ordinalIsWhole ? .int(Int(match)) : .double(match)
        }
    }

    /// Rounds a real value to the parameter's resolution: twelve significant digits of the range's
    /// magnitude on a linear scale, twelve significant digits of the value on a log scale.
    ///
    /// Holding reals at a fixed resolution makes `decode(encode(d)) == d` exact and keeps design
    /// hashes stable: the arithmetic of encoding and decoding moves a value far less than one step.
    public func quantize(_ value: Double) -> Double {
        guard case .real(let lower, let upper, let logScale) = domain, value.isFinite, value != 0 else { return value }
        let decimals: Int
        if logScale {
            decimals = 11 - Int(log10(abs(value)).rounded(.down))
        } else {
            let magnitude = max(abs(lower), abs(upper), .leastNormalMagnitude)
            decimals = min(max(0, 12 - Int(log10(magnitude).rounded(.up))), 300)
        }
        // round(v·10^d)/10^d: 10^d is exact for d ≤ 22 and the integer round(v·10^d) stays below 2^53, so
        // quantizing twice gives the same double, and so does quantizing a value moved by a few ulps.
        if (0...22).contains(decimals) {
            let power = Self.powersOfTen[decimals]
            let rounded = (value * power).rounded() / power
            return rounded == 0 ? 0 : rounded
        }
        let text = logScale ? String(format: "%.12g", value) : String(format: "%.*f", decimals, value)
        let rounded = Double(text) ?? value
        return rounded == 0 ? 0 : rounded  // no negative zero
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }

    /// The discrete value at `index` (0-based) of a non-real domain.
    public func value(at index: Int) -> ParameterValue {
        switch domain {
        case .categorical(let choices): return .string(choices[index])
        case .integer(let lower, _, let step, _): return .int(lower + index * step)
        case .ordinal(let values): return ordinalIsWhole ? .int(Int(values[index])) : .double(values[index])
        case .real: preconditionFailure("a real parameter has no indexed values")
        }
    }

    /// The index of a canonical value within a non-real domain.
    public func index(of value: ParameterValue) -> Int? {
        switch domain {
        case .categorical(let choices):
            guard let text = value.string else { return nil }
            return choices.firstIndex(of: text)
        case .integer(let lower, let upper, let step, _):
            guard case .int(let number) = value, number >= lower, number <= upper, (number - lower) % step == 0 else { return nil }
            return (number - lower) / step
        case .ordinal(let values):
            guard let number = value.number else { return nil }
            return values.firstIndex(where: { abs($0 - number) <= 1e-9 * max(1, abs(number)) })
        case .real:
            return nil
        }
    }

    public static func numberText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
