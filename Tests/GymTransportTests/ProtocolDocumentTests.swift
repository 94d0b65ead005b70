import Foundation
import GymCatalog
import GymCore
import GymStore
import Testing
@testable import GymTransport

/// The request/reply examples of docs/PROTOCOL.md, in order.
func protocolExamples() throws -> [(request: String, reply: String)] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/PROTOCOL.md").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var examples: [(String, String)] = []
    var pendingRequest: String?
    var block: [String]?
    var kind = ""
    for line in text.components(separatedBy: "\n") {
        if block == nil, line == "```json request" || line == "```json reply" {
            block = []
            kind = line
        } else if block != nil, line == "```" {
            let body = block!.joined(separator: "\n")
            if kind == "```json request" { pendingRequest = body } else if let request = pendingRequest {
                examples.append((request, body))
                pendingRequest = nil
            }
            block = nil
        } else if block != nil {
            block!.append(line)
        }
    }
    return examples
}

/// Whether `actual` matches `expected` exactly, where "*" in `expected` matches anything.
func matches(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
    switch (actual, expected) {
    case (_, .string("*")): return true
    case (.object(let a), .object(let b)): return Set(a.keys) == Set(b.keys) && b.allSatisfy { matches(a[$0.key]!, $0.value) }
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(matches)
    default: return actual == expected
    }
}

@Suite struct ProtocolDocumentTests {
    @Test func everyExampleInTheDocumentGetsTheDocumentedReply() throws {
        let examples = try protocolExamples()
        #expect(examples.count >= 15)
        // A server that logs, to an in-memory store: the document's sessions and studies are experiments.
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore()))
        for (request, expected) in examples {
            let reply = service.handle(Data(request.utf8))
            let actual = try JSONDecoder().decode(JSONValue.self, from: reply)
            let wanted = try JSONDecoder().decode(JSONValue.self, from: Data(expected.utf8))
            #expect(matches(actual, wanted), "request \(request)\n got \(String(decoding: reply, as: UTF8.self))")
        }
    }

    @Test func everyErrorCodeIsDocumented() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for code in ErrorCode.allCases { #expect(text.contains("| `\(code.rawValue)` |"), "\(code.rawValue)") }
    }
}
