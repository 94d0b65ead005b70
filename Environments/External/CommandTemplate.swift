import GymCore

/// Text with `{name}` placeholders, as command arguments, environment variables and files a command
/// environment writes use them: `{array_height}` (a parameter), `{workload}`, `{workload_file}`, `{seed}`,
/// `{workdir}`, `{spec_dir}`, `{design_file}`, `{option.bandwidth}`. `{{` and `}}` stand for braces.
/// Placeholders are checked when the spec is read, so a typo is an error then, not a failed evaluation.
struct CommandTemplate: Sendable {
    enum Piece: Sendable {
        case text(String)
        case placeholder(String)
    }

    let pieces: [Piece]
    let source: String

    /// A template unreadable or naming what is not there.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses `text`, checking every placeholder against `names`.
    init(_ text: String, names: Set<String>, at place: String) throws {
        source = text
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{", next < text.endIndex, text[next] == "{" {
                literal.append("{")
                index = text.index(after: next)
                continue
            }
            if character == "}", next < text.endIndex, text[next] == "}" {
                literal.append("}")
                index = text.index(after: next)
                continue
            }
            if character == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw Invalid(description: "\(place): an unclosed '{' in '\(text)' (write {{ for a brace)")
                }
                let name = String(text[next..<close]).trimmingCharacters(in: .whitespaces)
                guard names.contains(name) else {
                    throw Invalid(description: "\(place): unknown placeholder {\(name)}\(Suggestion.phrase(for: name, among: Array(names))); the placeholders are: \(names.sorted().map { "{\($0)}" }.joined(separator: ", "))")
                }
                if !literal.isEmpty { pieces.append(.text(literal)) }
                literal = ""
                pieces.append(.placeholder(name))
                index = text.index(after: close)
                continue
            }
            if character == "}" { throw Invalid(description: "\(place): a stray '}' in '\(text)' (write }} for a brace)") }
            literal.append(character)
            index = next
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        self.pieces = pieces
    }

    /// The names it uses.
    var placeholders: [String] {
        pieces.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// The text with each placeholder replaced by its value.
    func render(_ values: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .placeholder(let name): return values[name] ?? ""
            }
        }.joined()
    }
}
