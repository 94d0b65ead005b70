/// Writes flat JSON objects in one canonical form: keys sorted by their UTF-8 bytes, no whitespace,
/// integers in decimal, reals in Swift's shortest round-trip form.
///
/// The form is defined here rather than by a JSON library so a design's text, and therefore its
/// hash, never changes between processes, platforms or toolchain versions.
public enum CanonicalJSON {
    /// The canonical text of a flat object of parameter values.
    public static func object(_ values: [String: ParameterValue]) -> String {
        let keys = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var text = "{"
        for (index, key) in keys.enumerated() {
            if index > 0 { text += "," }
            text += quoted(key)
            text += ":"
            switch values[key]! {
            case .string(let value): text += quoted(value)
            case .int(let value): text += String(value)
            case .double(let value): text += value.isFinite ? String(value) : "null"
            }
        }
        return text + "}"
    }

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
