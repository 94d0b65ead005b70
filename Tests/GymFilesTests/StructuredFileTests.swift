import Foundation
import GymCore
import Testing
@testable import GymFiles

/// A file in a fresh temporary folder, removed with it.
func temporaryFile(_ name: String, _ content: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gymfiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite struct StructuredFileTests {
    @Test func yamlBecomesTheJSONTheDecodersRead() throws {
        let path = try temporaryFile("net.yaml", "name: tiny\nlayers:\n  - {type: fc, inputs: 4, outputs: 2}\n")
        let object = try JSONSerialization.jsonObject(with: try StructuredFile.jsonData(path)) as? [String: Any]
        #expect(object?["name"] as? String == "tiny")
        #expect((object?["layers"] as? [Any])?.count == 1)
    }

    @Test func aliasBombsAreRefusedBeforeTheyExpand() throws {
        // Ten levels of ten aliases each expand to 10^10 values; the document itself is a few hundred bytes.
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            let uses = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(uses)]")
        }
        let path = try temporaryFile("bomb.yaml", lines.joined(separator: "\n") + "\n")
        let started = Date()
        #expect { try StructuredFile.jsonData(path) } throws: { error in
            "\(error)".contains("more than \(StructuredFile.nodeLimit) values")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func deepNestingIsRefusedBeforeTheParserRecurses() throws {
        let flow = try temporaryFile("deep.yaml", "a: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n")
        #expect { try StructuredFile.jsonData(flow) } throws: { "\($0)".contains("nests collections more than 64 deep") }
        // Brackets inside quoted scalars are text, not nesting.
        let quoted = try temporaryFile("quoted.yaml", "a: \"" + String(repeating: "[", count: 200) + "\"\nb: '[[[['\n")
        let object = try JSONSerialization.jsonObject(with: try StructuredFile.jsonData(quoted)) as? [String: Any]
        #expect((object?["a"] as? String)?.count == 200)
    }

    @Test func errorsNameTheLineButNeverQuoteTheFile() throws {
        let secret = "password: hunter2 ]["
        let path = try temporaryFile("broken.yaml", "ok: 1\n\(secret)\n  bad: [\n")
        #expect { try StructuredFile.jsonData(path) } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("line") && !text.contains("hunter2")
        }
    }

    @Test func onlyRegularFilesOfBoundedSizeAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gymfiles-dir-\(UUID().uuidString).yaml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect { try StructuredFile.jsonData(folder.path) } throws: { "\($0)".contains("it is a directory") }
        #expect { try StructuredFile.jsonData("/dev/zero") } throws: { "\($0)".contains("not a regular file") }
        #expect { try StructuredFile.jsonData("/no/such/file.json") } throws: { "\($0)".contains("no such file") }
        let large = try temporaryFile("large.json", "[" + String(repeating: "0,", count: StructuredFile.sizeLimit / 2) + "0]")
        #expect { try StructuredFile.jsonData(large) } throws: { "\($0)".contains("the limit is \(StructuredFile.sizeLimit)") }
    }
}
