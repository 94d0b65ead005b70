/// The value of one parameter in a design: a string (categorical), an integer, or a real number.
///
/// Ordinal parameters hold whichever numeric case matches their listed values (integers when every
/// listed value is whole). In JSON it is a plain string or number.
public enum ParameterValue: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A categorical choice.
    case string(String)
    /// A whole number.
    case int(Int)
    /// A real number (never NaN or infinite in a valid design).
    case double(Double)

    /// The value as a number, if it is one.
    public var number: Double? {
        switch self {
        case .string: return nil
        case .int(let value): return Double(value)
        case .double(let value): return value
        }
    }

    /// The value as a string, if it is one.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as it would be written in a design's JSON.
    public var description: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        }
    }

    /// Reads a plain JSON string, number or boolean (booleans become the strings "true"/"false").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .string(value ? "true" : "false")
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "A parameter value must be a string, a number or a boolean.")
        }
    }

    /// Writes a plain JSON string or number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        }
    }
}

extension ParameterValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    /// A categorical value from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value from a literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A real value from a literal.
    public init(floatLiteral value: Double) { self = .double(value) }
}
