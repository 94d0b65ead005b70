/// Why a design is not a valid point of a parameter space. Every case names what was wrong and what is allowed.
public enum DesignError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The design names a parameter the space does not have.
    case unknownParameter(String, known: [String])
    /// The design leaves out a parameter the space requires.
    case missingParameter(String)
    /// A parameter's value is outside its domain.
    case invalidValue(parameter: String, value: ParameterValue, allowed: String)
    /// The text given as a design is not a JSON object of parameter values.
    case malformed(String)

    /// A sentence naming the parameter, the value and what is allowed.
    public var description: String {
        switch self {
        case .unknownParameter(let name, let known):
            return "unknown parameter '\(name)'\(Suggestion.phrase(for: name, among: known)); the parameters are: \(known.joined(separator: ", "))"
        case .missingParameter(let name):
            return "parameter '\(name)' is missing from the design"
        case .invalidValue(let parameter, let value, let allowed):
            return "parameter '\(parameter)' cannot be \(value); allowed: \(allowed)"
        case .malformed(let reason):
            return "the design is not a JSON object of parameter values: \(reason)"
        }
    }

    /// The parameter the error is about, if there is one.
    public var parameter: String? {
        switch self {
        case .unknownParameter(let name, _), .missingParameter(let name): return name
        case .invalidValue(let parameter, _, _): return parameter
        case .malformed: return nil
        }
    }
}
