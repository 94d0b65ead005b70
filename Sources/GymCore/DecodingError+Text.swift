extension DecodingError {
    /// What is wrong and where, in a sentence a user can act on ("missing "budget" at agents.2"): the
    /// underlying error when a type's own check threw it, never the text that was being decoded.
    public var plainDescription: String {
        func path(_ context: Context) -> String {
            context.codingPath.isEmpty ? "" : " at " + context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"" + path(context)
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            if let underlying = context.underlyingError, !(underlying is DecodingError) { return "\(underlying)" + path(context) }
            return context.debugDescription + path(context)
        @unknown default:
            return "\(self)"
        }
    }
}
