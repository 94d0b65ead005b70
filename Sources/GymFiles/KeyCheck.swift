import GymCore

/// Strict keys for description files: a key the format does not have is an error naming where it is and
/// what was probably meant, never silently ignored.
public enum KeyCheck {
    /// A key that is not allowed.
    public struct Unknown: Error, Hashable, Sendable, CustomStringConvertible {
        public var key: String
        public var place: String
        public var allowed: [String]
        public var hint: String?

        public var description: String {
            let meant = hint.map { " (did you mean \($0)?)" } ?? Suggestion.phrase(for: key, among: allowed)
            return "unknown key '\(key)' \(place)\(meant); the keys there are: \(allowed.joined(separator: ", "))"
        }
    }

    /// Throws `Unknown` for the first key of `object` (a JSON object as `JSONSerialization` reads it) not
    /// in `allowed`; `hints` names likely confusions ("workload" → "workloads (a list)").
    public static func require(_ object: Any?, allowed: [String], at place: String, hints: [String: String] = [:]) throws {
        guard let object = object as? [String: Any] else { return }
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw Unknown(key: key, place: place, allowed: allowed, hint: hints[key])
        }
    }
}
