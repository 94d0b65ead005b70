import Foundation
import GymCore

/// Runs the `gym` executable built next to the test bundle.
enum GymProcess {
    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("gym")
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `gym` with `arguments` to completion.
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let errorData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData.data = error.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      error: String(decoding: errorData.data, as: UTF8.self))
    }

    /// Starts `gym` with `--progress jsonl` output on a pipe; standard error is discarded.
    static func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    /// Reads `--progress jsonl` lines until one reports at least `count` completed trials (or the output
    /// ends), and returns the largest count reported.
    static func waitForProgress(_ output: Pipe, atLeast count: Int) -> Int {
        var reported = 0
        var buffer = ""
        while reported < count {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += String(decoding: chunk, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                let line = String(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if let progress = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)),
                   case .number(let completed) = progress["completed"] {
                    reported = max(reported, Int(completed))
                }
            }
        }
        return reported
    }

    /// The process ids whose parent is `parent`, from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.range(of: ")", options: .backwards) else { return false }
            let fields = stat[close.upperBound...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }

    /// A fresh database path in its own folder.
    static func databasePath(_ label: String = #function) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("designgym-cli-\(UUID().uuidString)")
            .appendingPathComponent("\(label.filter(\.isLetter)).sqlite").path
    }
}

final class DataBox: @unchecked Sendable {
    var data = Data()
}
