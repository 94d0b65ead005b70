import Foundation
import GymCore
import GymStore
import Testing

/// What the command line says, and with which exit status, when things are not fine.
@Suite struct ExitStatusTests {
    @Test func evaluateExitsNonZeroWhenTheEvaluationIsNotOK() throws {
        // Three of every item weigh far more than the knapsack holds: infeasible, exit 2, the JSON saying why.
        let all = (1...8).map { "\"item\($0)\": 3" }.joined(separator: ", ")
        let overweight = try GymProcess.run(["evaluate", "Knapsack-v0", "--design", "{\(all)}"])
        #expect(overweight.status == 2, "\(overweight.error)")
        #expect(overweight.output.contains("\"status\" : \"infeasible\""))
        #expect(try GymProcess.run(["evaluate", "Knapsack-v0"]).status == 0)
    }

    @Test func ctrlCEndsARunWithStatus130() throws {
        let db = GymProcess.databasePath()
        let (process, output) = try GymProcess.start(["run", "--budget", "400", "--option", "delay=0.004", "--progress", "jsonl", "--db", db])
        #expect(GymProcess.waitForProgress(output, atLeast: 5) >= 5)
        kill(process.processIdentifier, SIGINT)
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try TrajectoryStore(path: db, access: .readOnly).experiment(1).status == .interrupted)
    }

    @Test func negativeNumbersGetAProperMessage() throws {
        for (arguments, expected) in [(["run", "--budget", "-5"], "--budget is a number of evaluations of at least 1, not -5"),
                                      (["run", "--workers", "-2"], "--workers must be at least 1, not -2"),
                                      (["run", "--time-limit", "-3"], "--time-limit expects a positive duration"),
                                      (["run", "--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
                                      (["sweep", "x.yaml", "--jobs", "-1"], "--jobs must be at least 1, not -1")] {
            let result = try GymProcess.run(arguments + ["--db", GymProcess.databasePath()])
            #expect(result.status != 0)
            #expect(result.error.contains(expected) && !result.error.contains("Missing value"), "\(arguments): \(result.error)")
        }
    }

    @Test func showAndExportReadWithoutWritingAndNameWhatIsMissing() throws {
        let db = GymProcess.databasePath()
        #expect(try GymProcess.run(["run", "--budget", "3", "--db", db, "--progress", "none"]).status == 0)
        let export = try GymProcess.run(["export", "--env", "Knapsack-v0", "--db", db])
        #expect(export.status != 0 && export.error.contains("has no experiments of Knapsack-v0; it has experiments of: Branin-v0"), "\(export.error)")
        // A database that is not DesignGym's is left alone.
        let foreign = GymProcess.databasePath()
        try FileManager.default.createDirectory(atPath: (foreign as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE notes (t TEXT)')", foreign]
        try sqlite.run()
        sqlite.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: foreign))
        for command in [["show"], ["export"], ["run", "--budget", "1"]] {
            let result = try GymProcess.run(command + ["--db", foreign])
            #expect(result.status != 0 && result.error.contains("is an SQLite database, but not DesignGym's (it holds notes)"), "\(command): \(result.error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == before)
        // A missing database is not created by gym show.
        let missing = GymProcess.databasePath()
        #expect(try GymProcess.run(["show", "--db", missing]).error.contains("there is no database at \(missing)"))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
