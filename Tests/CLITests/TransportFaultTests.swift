import Foundation
import GymStore
import Testing

/// A server or broker that goes away mid-run never turns into results: a restarted broker is reconnected
/// and its lost work sent again; a server gone for longer than --remote-timeout stops the run, interrupted
/// and resumable.
@Suite struct TransportFaultTests {
    /// Starts `gym <arguments>` and reads the endpoints its banner names (its standard output's first line).
    static func serve(_ arguments: [String]) throws -> (process: Process, endpoints: [String]) {
        let process = Process()
        process.executableURL = GymProcess.executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let banner = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let endpoints = banner.split(separator: " ").map { $0.trimmingCharacters(in: .punctuationCharacters.subtracting(["/", ":"])) }
            .filter { $0.hasPrefix("tcp://") }
        return (process, endpoints)
    }

    static func worker(_ endpoint: String) throws -> Process {
        let worker = Process()
        worker.executableURL = GymProcess.executable
        worker.arguments = ["worker", "--connect", endpoint]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        return worker
    }

    @Test func aBrokerRestartedMidRunLosesNothingAndRecordsNoFailure() throws {
        let first = try Self.serve(["broker", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*", "--workers-bind", "tcp://127.0.0.1:*"])
        #expect(first.endpoints.count == 2)
        guard first.endpoints.count == 2 else { return first.process.terminate() }
        // The workers outlive the broker and join its successor on the same endpoint.
        let workers = try (0..<2).map { _ in try Self.worker(first.endpoints[1]) }
        defer { workers.forEach { $0.terminate(); $0.waitUntilExit() } }
        let db = GymProcess.databasePath()
        let (run, output) = try GymProcess.start(["run", "--remote", first.endpoints[0], "--env", "Branin-v0", "--option", "delay=0.2",
                                                  "--budget", "24", "--batch-size", "4", "--remote-timeout", "30", "--db", db, "--progress", "jsonl"])
        #expect(GymProcess.waitForProgress(output, atLeast: 6) >= 6)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        Thread.sleep(forTimeInterval: 1)
        let second = try Self.serve(["broker", "--env", "Branin-v0", "--bind", first.endpoints[0], "--workers-bind", first.endpoints[1]])
        defer { second.process.terminate(); second.process.waitUntilExit() }
        _ = GymProcess.waitForProgress(output, atLeast: Int.max)
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let store = try TrajectoryStore(path: db, access: .readOnly)
        let trials = try store.trials(experiment: 1)
        #expect(trials.count == 24 && trials.allSatisfy { $0.evaluation.status == .ok }, "\(trials.map(\.evaluation.status))")
        #expect(Set(trials.map(\.number)) == Set(0..<24))
        #expect(try store.experiment(1).status == .completed)
    }

    @Test func aServerGoneLongerThanTheRemoteTimeoutLeavesTheRunInterruptedAndResumable() throws {
        let first = try Self.serve(["serve", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*"])
        #expect(first.endpoints.count == 1)
        guard let endpoint = first.endpoints.first else { return first.process.terminate() }
        let db = GymProcess.databasePath()
        let arguments = ["--remote", endpoint, "--remote-timeout", "2", "--db", db]
        let (run, output) = try GymProcess.start(["run", "--env", "Branin-v0", "--option", "delay=0.1", "--budget", "30", "--batch-size", "3"]
                                                 + arguments + ["--progress", "jsonl"])
        #expect(GymProcess.waitForProgress(output, atLeast: 6) >= 6)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        _ = GymProcess.waitForProgress(output, atLeast: Int.max)
        run.waitUntilExit()
        // 75 (EX_TEMPFAIL): stopped for a transport fault, to be resumed.
        #expect(run.terminationStatus == 75)
        let store = try TrajectoryStore(path: db, access: .readOnly)
        let record = try store.experiment(1)
        #expect(record.status == .interrupted && record.error?.contains("could not be reached") == true, "\(record.error ?? "")")
        let stored = try store.trials(experiment: 1)
        #expect(stored.count < 30 && stored.allSatisfy { $0.evaluation.status == .ok })
        // The server back on its endpoint: the resume evaluates what is missing, and nothing failed.
        let second = try Self.serve(["serve", "--env", "Branin-v0", "--bind", endpoint])
        defer { second.process.terminate(); second.process.waitUntilExit() }
        let resumed = try GymProcess.run(["run", "--resume", "1"] + arguments + ["--progress", "none"])
        #expect(resumed.status == 0, "\(resumed.error)")
        let trials = try store.trials(experiment: 1)
        #expect(trials.count == 30 && trials.allSatisfy { $0.evaluation.status == .ok })
        #expect(try store.experiment(1).status == .completed)
    }

    @Test func brokerStatusNamesItsWorkersAndAPreemptedWorkerLeavesCleanly() throws {
        let broker = try Self.serve(["broker", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*", "--workers-bind", "tcp://127.0.0.1:*"])
        defer { broker.process.terminate(); broker.process.waitUntilExit() }
        #expect(broker.endpoints.count == 2)
        guard broker.endpoints.count == 2 else { return }
        let worker = Process()
        worker.executableURL = GymProcess.executable
        worker.arguments = ["worker", "--connect", broker.endpoints[1], "--name", "node-7"]
        let said = Pipe()
        worker.standardError = said
        try worker.run()
        // It says it connected once the broker answers.
        let connected = String(decoding: said.fileHandleForReading.availableData, as: UTF8.self)
        #expect(connected.contains("worker node-7 connected to \(broker.endpoints[1])"), "\(connected)")
        let status = try GymProcess.run(["broker", "status", broker.endpoints[0]])
        #expect(status.status == 0 && status.output.contains("workers (1):") && status.output.contains("node-7  idle"), "\(status.output)\(status.error)")
        // Trials name the worker that evaluated them.
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--remote", broker.endpoints[0], "--env", "Branin-v0", "--budget", "4", "--db", db, "--progress", "none"])
        #expect(run.status == 0, "\(run.error)")
        #expect(try TrajectoryStore(path: db, access: .readOnly).trials(experiment: 1).allSatisfy { $0.worker == "node-7" })
        // SIGTERM: it leaves after its evaluation, and the broker knows at once.
        worker.terminate()
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        Thread.sleep(forTimeInterval: 0.3)
        let after = try GymProcess.run(["broker", "status", broker.endpoints[0], "--json"])
        #expect(after.output.contains("\"workers\":[]") && after.output.contains("\"workers_lost\":0"), "\(after.output)")
        // A server without a pool says so.
        let plain = try Self.serve(["serve", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*"])
        defer { plain.process.terminate(); plain.process.waitUntilExit() }
        let served = try GymProcess.run(["broker", "status", plain.endpoints.first ?? ""])
        #expect(served.output.contains("no worker pool"), "\(served.output)")
    }

    @Test func aWorkerThatReachesNoBrokerSaysSoAndExits() throws {
        // Port 9 (discard): nothing listens there.
        let unused = try GymProcess.run(["worker", "--connect", "tcp://127.0.0.1:9", "--connect-timeout", "1"])
        #expect(unused.status == 1 && unused.error.contains("no broker answered at tcp://127.0.0.1:9 within 1 s"), "\(unused.error)")
    }
}
