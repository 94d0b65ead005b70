import GymCore

/// A constraint written in a spec file as an expression over the design's parameters, such as
/// `array_height * array_width <= 4096 && dataflow != 'is'`: numbers, parameter names, quoted strings,
/// `+ - * / %`, parentheses, comparisons `< <= > >= == !=`, and `&& || !`. A design is feasible when the
/// expression is true. Parsed once when the spec is read; names are checked against the space then.
public struct ConstraintExpression: Sendable, CustomStringConvertible {
    indirect enum Node: Sendable {
        case number(Double)
        case text(String)
        case name(String)
        case negate(Node)
        case not(Node)
        case binary(String, Node, Node)
    }

    /// A value during evaluation: a number, a string or a truth value.
    enum Value: Equatable {
        case number(Double)
        case text(String)
        case truth(Bool)
    }

    let root: Node
    /// The text as written.
    public let description: String

    /// Why an expression cannot be read or evaluated.
    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text`, checking every name against `names`.
    public init(_ text: String, names: Set<String>) throws {
        var parser = Parser(characters: Array(text), names: names)
        root = try parser.expression()
        parser.skipSpace()
        guard parser.index == parser.characters.count else { throw parser.fail("unexpected text") }
        description = text
        guard case .truth = try Self.type(root, names: names) else {
            throw Invalid(description: "'\(text)' is not a condition: it must compare or combine conditions")
        }
    }

    /// Whether `design` (canonical) satisfies the expression.
    public func isSatisfied(by design: Design) -> Bool {
        (try? Self.evaluate(root, design)) == .truth(true)
    }

    /// A value of the right kind for each node, to refuse `a + 'x'` or `a && 3` when the spec is read.
    private static func type(_ node: Node, names: Set<String>) throws -> Value {
        switch node {
        case .number: return .number(0)
        case .text: return .text("")
        case .name: return .number(0)  // a categorical compares with strings; both kinds are allowed here
        case .negate(let inner):
            guard case .number = try type(inner, names: names) else { throw Invalid(description: "'-' needs a number") }
            return .number(0)
        case .not(let inner):
            guard case .truth = try type(inner, names: names) else { throw Invalid(description: "'!' needs a condition") }
            return .truth(true)
        case .binary(let op, let left, let right):
            let (a, b) = (try type(left, names: names), try type(right, names: names))
            switch op {
            case "&&", "||":
                guard case .truth = a, case .truth = b else { throw Invalid(description: "'\(op)' needs conditions on both sides") }
                return .truth(true)
            case "==", "!=", "<", "<=", ">", ">=":
                if case .truth = a { throw Invalid(description: "'\(op)' compares values, not conditions") }
                if case .truth = b { throw Invalid(description: "'\(op)' compares values, not conditions") }
                return .truth(true)
            default:
                if case .text = a { throw Invalid(description: "'\(op)' needs numbers") }
                if case .text = b { throw Invalid(description: "'\(op)' needs numbers") }
                if case .truth = a { throw Invalid(description: "'\(op)' needs numbers") }
                if case .truth = b { throw Invalid(description: "'\(op)' needs numbers") }
                return .number(0)
            }
        }
    }

    private static func evaluate(_ node: Node, _ design: Design) throws -> Value {
        switch node {
        case .number(let value): return .number(value)
        case .text(let value): return .text(value)
        case .name(let name):
            switch design[name] {
            case .string(let text)?: return .text(text)
            case .some(let value): return .number(value.number ?? .nan)
            case nil: throw Invalid(description: "no parameter '\(name)'")
            }
        case .negate(let inner):
            guard case .number(let value) = try evaluate(inner, design) else { throw Invalid(description: "'-' needs a number") }
            return .number(-value)
        case .not(let inner):
            guard case .truth(let value) = try evaluate(inner, design) else { throw Invalid(description: "'!' needs a condition") }
            return .truth(!value)
        case .binary(let op, let left, let right):
            let a = try evaluate(left, design)
            if op == "&&", a == .truth(false) { return .truth(false) }
            if op == "||", a == .truth(true) { return .truth(true) }
            let b = try evaluate(right, design)
            switch (op, a, b) {
            case ("&&", .truth, .truth(let y)), ("||", .truth, .truth(let y)): return .truth(y)
            case ("==", _, _): return .truth(a == b)
            case ("!=", _, _): return .truth(a != b)
            case (_, .number(let x), .number(let y)):
                switch op {
                case "<": return .truth(x < y)
                case "<=": return .truth(x <= y)
                case ">": return .truth(x > y)
                case ">=": return .truth(x >= y)
                case "+": return .number(x + y)
                case "-": return .number(x - y)
                case "*": return .number(x * y)
                case "/": return .number(x / y)
                case "%": return .number(x.truncatingRemainder(dividingBy: y))
                default: throw Invalid(description: "unknown operator '\(op)'")
                }
            default:
                throw Invalid(description: "'\(op)' cannot combine these values")
            }
        }
    }

    /// Recursive descent, loosest binding first: `||`, `&&`, comparisons, `+ -`, `* / %`, unary.
    private struct Parser {
        let characters: [Character]
        let names: Set<String>
        var index = 0

        init(characters: [Character], names: Set<String>) {
            self.characters = characters
            self.names = names
        }

        func fail(_ reason: String) -> Invalid {
            Invalid(description: "\(reason) at character \(index + 1) of '\(String(characters))'")
        }

        mutating func skipSpace() { while index < characters.count, characters[index].isWhitespace { index += 1 } }

        mutating func take(_ token: String) -> Bool {
            skipSpace()
            let tokenCharacters = Array(token)
            guard index + tokenCharacters.count <= characters.count,
                  Array(characters[index..<(index + tokenCharacters.count)]) == tokenCharacters else { return false }
            // "<" is not the start of "<=", "!" not of "!=".
            if ["<", ">", "!", "="].contains(token), index + 1 < characters.count, characters[index + 1] == "=" { return false }
            index += tokenCharacters.count
            return true
        }

        mutating func expression() throws -> Node {
            var node = try conjunction()
            while take("||") { node = .binary("||", node, try conjunction()) }
            return node
        }

        mutating func conjunction() throws -> Node {
            var node = try comparison()
            while take("&&") { node = .binary("&&", node, try comparison()) }
            return node
        }

        mutating func comparison() throws -> Node {
            let node = try sum()
            for op in ["<=", ">=", "==", "!=", "<", ">"] where take(op) {
                return .binary(op, node, try sum())
            }
            return node
        }

        mutating func sum() throws -> Node {
            var node = try product()
            while true {
                if take("+") { node = .binary("+", node, try product()) } else if take("-") { node = .binary("-", node, try product()) } else { return node }
            }
        }

        mutating func product() throws -> Node {
            var node = try unary()
            while true {
                if take("*") { node = .binary("*", node, try unary()) } else if take("/") { node = .binary("/", node, try unary()) } else if take("%") {
                    node = .binary("%", node, try unary())
                } else { return node }
            }
        }

        mutating func unary() throws -> Node {
            if take("-") { return .negate(try unary()) }
            if take("!") { return .not(try unary()) }
            return try atom()
        }

        mutating func atom() throws -> Node {
            skipSpace()
            guard index < characters.count else { throw fail("the expression ends early") }
            let first = characters[index]
            if first == "(" {
                index += 1
                let node = try expression()
                guard take(")") else { throw fail("expected ')'") }
                return node
            }
            if first == "'" || first == "\"" {
                index += 1
                let start = index
                while index < characters.count, characters[index] != first { index += 1 }
                guard index < characters.count else { throw fail("an unterminated string") }
                defer { index += 1 }
                return .text(String(characters[start..<index]))
            }
            if first.isNumber || first == "." {
                let start = index
                while index < characters.count, characters[index].isNumber || characters[index] == "." || characters[index] == "e"
                        || ((characters[index] == "-" || characters[index] == "+") && index > start && characters[index - 1] == "e") {
                    index += 1
                }
                guard let value = Double(String(characters[start..<index])) else { throw fail("a malformed number") }
                return .number(value)
            }
            if first.isLetter || first == "_" {
                let start = index
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" { index += 1 }
                let name = String(characters[start..<index])
                guard names.contains(name) else {
                    throw Invalid(description: "'\(name)' is not a parameter\(Suggestion.phrase(for: name, among: Array(names))); the parameters are: \(names.sorted().joined(separator: ", "))")
                }
                return .name(name)
            }
            throw fail("unexpected '\(first)'")
        }
    }
}
