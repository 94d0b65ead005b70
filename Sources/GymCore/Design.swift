import Foundation

/// A value for every parameter of a space: one point to evaluate.
///
/// Its canonical JSON (sorted keys, no whitespace) and the SHA-256 of that text identify it across
/// processes, runs and machines. Build designs through `ParameterSpace.validate(_:)` to hold values in
/// their canonical form, so equal designs have equal hashes.
public struct Design: Hashable, Sendable, CustomStringConvertible {
    /// The value of each parameter, by name.
    public var values: [String: ParameterValue]

    /// Creates a design from values by parameter name.
    public init(_ values: [String: ParameterValue]) {
        self.values = values
    }

    /// The value of the parameter `name`.
    public subscript(name: String) -> ParameterValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The design as canonical JSON: keys sorted, no whitespace.
    public var canonicalJSON: String { CanonicalJSON.object(values) }

    /// The SHA-256 of the canonical JSON, as 64 hexadecimal characters.
    public var hash: String { SHA256.hexDigest(Array(canonicalJSON.utf8)) }

    /// The canonical JSON.
    public var description: String { canonicalJSON }

    /// Parses a JSON object of parameter values; the values are not yet checked against any space.
    public static func parse(json text: String) throws -> Design {
        do {
            return try JSONDecoder().decode(Design.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            throw DesignError.malformed(Self.explain(error))
        }
    }

    private static func explain(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "at '\(path)': ") + context.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }
}

extension Design: Codable {
    /// Reads a flat JSON object of parameter values.
    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ParameterValue].self)
    }

    /// Writes a flat JSON object of parameter values.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
