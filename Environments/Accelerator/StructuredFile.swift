import Foundation
import Yams

/// Reads a description file as JSON data: `.yaml` and `.yml` files are YAML, converted to the same
/// JSON the decoders read; anything else is read as JSON.
enum StructuredFile {
    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    static func isYAML(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
    }

    static func jsonData(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(description: "\(path) cannot be read") }
        guard isYAML(path) else { return data }
        guard let text = String(data: data, encoding: .utf8) else { throw Unreadable(description: "\(path) is not UTF-8 text") }
        let object: Any?
        do {
            object = try Yams.load(yaml: text)
        } catch {
            throw Unreadable(description: "\(path) is not valid YAML: \(error)")
        }
        guard let object, JSONSerialization.isValidJSONObject(object) else {
            throw Unreadable(description: "\(path) must hold a YAML mapping of plain values")
        }
        return try JSONSerialization.data(withJSONObject: object)
    }
}
