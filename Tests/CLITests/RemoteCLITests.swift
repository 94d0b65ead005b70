import Foundation
import GymCore
import GymStore
import Testing

/// Clients of servers that are not there, and what a broker says about its workers.
@Suite struct RemoteCLITests {
    @Test func aRunPointedAtNothingGivesUpQuicklyOrWhenInterrupted() throws {
        let started = Date()
        let result = try GymProcess.run(["run", "--remote", "tcp://127.0.0.1:9", "--env", "Branin-v0", "--budget", "2",
                                         "--connect-timeout", "1", "--db", GymProcess.databasePath()])
        #expect(result.status != 0)
        #expect(result.error.contains("no DesignGym server answered at tcp://127.0.0.1:9 within 1 s"), "\(result.error)")
        #expect(Date().timeIntervalSince(started) < 10)
        // With a long wait, SIGTERM ends it at once.
        let (process, _) = try GymProcess.start(["run", "--remote", "tcp://127.0.0.1:9", "--env", "Branin-v0", "--budget", "2",
                                                 "--connect-timeout", "600", "--db", GymProcess.databasePath()])
        Thread.sleep(forTimeInterval: 1)
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 3)
        #expect(process.terminationStatus != 0)
    }

    @Test func aBrokerSaysWhenNoWorkerIsThereAndWhenOneDies() throws {
        let broker = Process()
        broker.executableURL = GymProcess.executable
        broker.arguments = ["broker", "--env", "Branin-v0", "--bind", "tcp://127.0.0.1:*", "--workers-bind", "tcp://127.0.0.1:*", "--liveness", "1"]
        let output = Pipe(), log = Pipe()
        broker.standardOutput = output
        broker.standardError = log
        try broker.run()
        let banner = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let endpoints = banner.split(separator: " ").map { $0.trimmingCharacters(in: .punctuationCharacters.subtracting(["/", ":"])) }
            .filter { $0.hasPrefix("tcp://") }
        try #require(endpoints.count == 2, "\(banner)")
        // A run whose evaluations each take 3 s; no worker yet.
        let db = GymProcess.databasePath()
        let (run, runOutput) = try GymProcess.start(["run", "--remote", endpoints[0], "--env", "Branin-v0", "--budget", "2",
                                                     "--option", "delay=3", "--db", db, "--progress", "jsonl"])
        Thread.sleep(forTimeInterval: 1.5)
        // A worker joins, takes the first evaluation and is killed in the middle of it; a second one finishes the run.
        let doomed = Process()
        doomed.executableURL = GymProcess.executable
        doomed.arguments = ["worker", "--connect", endpoints[1], "--name", "doomed"]
        try doomed.run()
        Thread.sleep(forTimeInterval: 1.5)
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        let rescuer = Process()
        rescuer.executableURL = GymProcess.executable
        rescuer.arguments = ["worker", "--connect", endpoints[1], "--name", "rescuer"]
        try rescuer.run()
        _ = runOutput.fileHandleForReading.readDataToEndOfFile()
        run.waitUntilExit()
        rescuer.terminate()
        rescuer.waitUntilExit()
        broker.terminate()
        broker.waitUntilExit()
        #expect(run.terminationStatus == 0)
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        for line in ["no live worker: 1 evaluation waiting", "worker doomed joined", "worker doomed silent for 1 s: presumed dead while running job 1",
                     "job 1 back in the queue (attempt 2 of 3)", "worker rescuer joined"] {
            #expect(text.contains(line), "the broker's log lacks '\(line)':\n\(text)")
        }
        #expect(try TrajectoryStore(path: db).trials(experiment: 1).allSatisfy { $0.evaluation.status == .ok })
    }
}
