import Foundation

/// A hand-written JSON reader and writer for `JSONValue`, several times faster than going through
/// `JSONDecoder`/`JSONEncoder`, for the protocol's hot path. Writing sorts object keys and leaves `/`
/// unescaped, as the encoders configured elsewhere do; whole numbers below 2^53 are written without a
/// fraction, other numbers with the shortest text that reads back to the same double.
extension JSONValue {
    /// Why a text is not JSON, with the byte offset.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Parses one JSON value (surrounding whitespace allowed; nothing else may follow).
    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var reader = Reader(bytes: raw.bindMemory(to: UInt8.self))
            let value = try reader.value(depth: 0)
            reader.skipSpace()
            guard reader.index == reader.bytes.count else { throw reader.error("unexpected text after the value") }
            return value
        }
    }

    /// Parses a JSON object, keeping the exact text of each top-level field's value as well: numbers
    /// such as ids and seeds lose nothing (a double cannot hold every 64-bit integer).
    public static func parseObject(_ data: Data) throws -> (fields: [String: JSONValue], text: [String: Data]) {
        try data.withUnsafeBytes { raw in
            var reader = Reader(bytes: raw.bindMemory(to: UInt8.self))
            reader.skipSpace()
            guard reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: "{") else {
                throw reader.error("expected an object")
            }
            var spans: [String: Range<Int>] = [:]
            guard case .object(let fields) = try reader.value(depth: 0, spans: &spans) else { throw reader.error("expected an object") }
            reader.skipSpace()
            guard reader.index == reader.bytes.count else { throw reader.error("unexpected text after the value") }
            return (fields, spans.mapValues { Data(raw[$0]) })
        }
    }

    /// The exact text of the top-level field `key` of a JSON object, found by skipping over the other
    /// fields without reading them (for answering a frame too large to parse); nil if there is none or
    /// the text is not well-formed up to it.
    public static func topLevelFieldText(_ key: String, in data: Data) -> Data? {
        data.withUnsafeBytes { raw -> Data? in
            var reader = Reader(bytes: raw.bindMemory(to: UInt8.self))
            reader.skipSpace()
            guard reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: "{") else { return nil }
            reader.index += 1
            while true {
                reader.skipSpace()
                guard reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: "\""),
                      let name = try? reader.string() else { return nil }
                reader.skipSpace()
                guard reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: ":") else { return nil }
                reader.index += 1
                reader.skipSpace()
                let start = reader.index
                if name == key {
                    guard (try? reader.value(depth: 1)) != nil else { return nil }
                    return Data(raw[start..<reader.index])
                }
                guard reader.skipValue() else { return nil }
                reader.skipSpace()
                guard reader.index < reader.bytes.count, reader.bytes[reader.index] == UInt8(ascii: ",") else { return nil }
                reader.index += 1
            }
        }
    }

    /// The value as compact JSON text with sorted keys.
    public var jsonData: Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(into: &bytes)
        return Data(bytes)
    }

    private func write(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: Array("null".utf8))
        case .bool(let flag): bytes.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .number(let number):
            if !number.isFinite {
                bytes.append(contentsOf: Array("null".utf8))
            } else if number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
                bytes.append(contentsOf: Array(String(Int64(number)).utf8))
            } else {
                bytes.append(contentsOf: Array("\(number)".utf8))
            }
        case .string(let text): Self.writeString(text, into: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                item.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                fields[key]!.write(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 10: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 9: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

        mutating func skipSpace() {
            while index < bytes.count, [32, 9, 10, 13].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws -> JSONValue {
            for expected in word.utf8 {
                guard index < bytes.count, bytes[index] == expected else { throw error("expected \(word)") }
                index += 1
            }
            return value
        }

        /// Skips one value without building it (scalars are scanned loosely), stopping at the `,`, `}` or
        /// `]` that follows it: false when the text ends first.
        mutating func skipValue() -> Bool {
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    guard index < bytes.count else { return false }
                    index += 1
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return true }
                    depth -= 1
                    index += 1
                case UInt8(ascii: ","):
                    if depth == 0 { return true }
                    index += 1
                default:
                    index += 1
                }
            }
            return false
        }

        mutating func value(depth: Int) throws -> JSONValue {
            var unused: [String: Range<Int>]? = nil
            return try value(depth: depth, recording: &unused)
        }

        mutating func value(depth: Int, spans: inout [String: Range<Int>]) throws -> JSONValue {
            var recorded: [String: Range<Int>]? = [:]
            let value = try value(depth: depth, recording: &recorded)
            spans = recorded ?? [:]
            return value
        }

        /// Reads one value; when `recording` is not nil, the text span of each field of this (outermost) object.
        mutating func value(depth: Int, recording: inout [String: Range<Int>]?) throws -> JSONValue {
            guard depth < 512 else { throw error("nested too deeply") }
            skipSpace()
            guard index < bytes.count else { throw error("unexpected end of text") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var fields: [String: JSONValue] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(fields)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                    skipSpace()
                    let start = index
                    fields[key] = try value(depth: depth + 1)
                    if recording != nil { recording?[key] = start..<index }
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of text in an object") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [JSONValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(items)
                }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of text in an array") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return .number(try number())
            }
        }

        mutating func number() throws -> Double {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else { throw error("expected a value") }
            if bytes[digitsStart] == 48 && index - digitsStart > 1 { throw error("a number may not start with 0") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let fraction = index
                while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
                guard index > fraction else { throw error("expected digits after '.'") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
                guard index > exponent else { throw error("expected digits in the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let number = Double(text), number.isFinite else { throw error("the number \(text) is out of range") }
            return number
        }

        mutating func string() throws -> String {
            index += 1  // the opening quote
            var scalars: [UInt8] = []
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: scalars, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw error("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                    case UInt8(ascii: "b"): scalars.append(8)
                    case UInt8(ascii: "f"): scalars.append(12)
                    case UInt8(ascii: "n"): scalars.append(10)
                    case UInt8(ascii: "r"): scalars.append(13)
                    case UInt8(ascii: "t"): scalars.append(9)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code) {
                            guard index + 1 < bytes.count, bytes[index] == 92, bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error("a lone surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw error("an invalid \\u escape") }
                        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw error("an invalid escape")
                    }
                case 0..<32: throw error("a control character in a string")
                default: scalars.append(byte)
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("a short \\u escape") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index] | 0x20
                let digit: UInt32
                if (48...57).contains(c) { digit = UInt32(c - 48) } else if (97...102).contains(c) { digit = UInt32(c - 87) } else {
                    throw error("a bad hex digit")
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }
    }
}
