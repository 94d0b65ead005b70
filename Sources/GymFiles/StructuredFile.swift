import Foundation
import GymCore
import Yams

/// Description files users and clients name — networks, architectures, mappings, sweeps, simulator specs —
/// read as JSON data: `.yaml` and `.yml` files are YAML, converted to the JSON the decoders read; anything
/// else is JSON. Reading is bounded: regular files only, at most `sizeLimit` bytes, YAML nested at most
/// `nestingLimit` deep and expanding (aliases included) to at most `nodeLimit` values. Errors name the file,
/// the line and the problem, never the file's text.
public enum StructuredFile {
    /// The largest description file, in bytes (4 MiB).
    public static let sizeLimit = 4 << 20
    /// The deepest nesting of YAML collections accepted.
    public static let nestingLimit = 64
    /// The most values a YAML document may expand to, aliases counted at every use.
    public static let nodeLimit = 100_000

    /// A description file that cannot be used, and why.
    public struct Unreadable: Error, Hashable, Sendable, CustomStringConvertible {
        /// A sentence naming the file and the problem.
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Whether `path` names a YAML file.
    public static func isYAML(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
    }

    /// The file's content as JSON data.
    public static func jsonData(_ path: String, what: String = "description") throws -> Data {
        let data: Data
        do {
            data = try InputFile.read(path, what: what, limit: sizeLimit)
        } catch let error as InputFileError {
            throw Unreadable(error.description)
        }
        guard isYAML(path) else { return data }
        guard let text = String(data: data, encoding: .utf8) else { throw Unreadable("\(path) is not UTF-8 text") }
        return try jsonData(yaml: text, source: path)
    }

    /// YAML text as JSON data; `source` names it in errors.
    public static func jsonData(yaml text: String, source: String) throws -> Data {
        guard nestingBound(text) <= nestingLimit else {
            throw Unreadable("\(source) nests collections more than \(nestingLimit) deep, the limit")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Unreadable("\(source) is not valid YAML: \(describe(error))")
        }
        guard let node else { throw Unreadable("\(source) is empty") }
        var budget = nodeLimit
        guard count(node, depth: 0, budget: &budget) else {
            throw Unreadable("\(source) expands to more than \(nodeLimit) values (aliases count at every use) or nests more than \(nestingLimit) deep, the limits")
        }
        let object: Any?
        do {
            object = try Yams.load(yaml: text)
        } catch {
            throw Unreadable("\(source) is not valid YAML: \(describe(error))")
        }
        guard let object, JSONSerialization.isValidJSONObject(object) else {
            throw Unreadable("\(source) must hold a YAML mapping or list of plain values")
        }
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        } catch {
            throw Unreadable("\(source) holds values JSON cannot represent")
        }
    }

    /// Counts the values of a composed document, aliases at every use, stopping when `budget` runs out
    /// or the nesting is too deep; false then. The walk itself is bounded by the budget.
    private static func count(_ node: Node, depth: Int, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0, depth <= nestingLimit else { return false }
        switch node {
        case .scalar, .alias:
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard count(key, depth: depth + 1, budget: &budget), count(value, depth: depth + 1, budget: &budget) else { return false }
            }
            return true
        case .sequence(let sequence):
            for item in sequence where !count(item, depth: depth + 1, budget: &budget) { return false }
            return true
        }
    }

    /// An upper bound on the document's nesting, checked before the parser (which recurses) sees the text:
    /// the deepest flow nesting (`[` and `{` outside quoted scalars and comments) plus the widest block
    /// indentation (a block collection nests one level per column of indentation at most, and one per `- `).
    private static func nestingBound(_ text: String) -> Int {
        var flow = 0, deepestFlow = 0, deepestBlock = 0
        var quote: UInt8 = 0, escaped = false
        var atLineStart = true, indent = 0, inComment = false
        var previous: UInt8 = 10
        for byte in text.utf8 {
            defer { previous = byte }
            if quote != 0 {
                // Inside a quoted scalar (which may span lines): only its closing quote matters.
                if quote == UInt8(ascii: "\"") {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == quote { quote = 0 }
                } else if byte == quote {
                    quote = 0  // '' inside a single-quoted scalar closes and reopens: the same for counting
                }
                continue
            }
            if byte == 10 {
                atLineStart = true
                indent = 0
                inComment = false
                continue
            }
            if inComment { continue }
            if atLineStart {
                if byte == 32 || byte == UInt8(ascii: "-") || byte == 9 {
                    indent += 1
                    continue
                }
                atLineStart = false
                deepestBlock = max(deepestBlock, indent)
            }
            let startsScalar = [10, 32, 9, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":"),
                                UInt8(ascii: "-"), UInt8(ascii: "?")].contains(previous)
            switch byte {
            case UInt8(ascii: "\"") where startsScalar, UInt8(ascii: "'") where startsScalar:
                quote = byte
            case UInt8(ascii: "#") where previous == 32 || previous == 9 || previous == 10:
                inComment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                deepestFlow = max(deepestFlow, flow)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flow = max(0, flow - 1)
            default:
                break
            }
        }
        return deepestFlow + deepestBlock + 1
    }

    /// A YAML error as "line L, column C: problem", without the document's text.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "it cannot be read" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated keys \(duplicates.joined(separator: ", "))"
        default:
            return "it cannot be read"
        }
    }
}
