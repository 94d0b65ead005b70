import Foundation

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

    /// A fresh database path in its own folder.
    static func databasePath(_ label: String = #function) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("designgym-cli-\(UUID().uuidString)")
            .appendingPathComponent("\(label.filter(\.isLetter)).sqlite").path
    }
}

final class DataBox: @unchecked Sendable {
    var data = Data()
}
