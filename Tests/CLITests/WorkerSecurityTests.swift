import CZeroMQ
import Foundation
import GymCore
import GymStore
import Testing
@testable import GymTransport

/// Local worker pools of `gym run --workers`: private to the run, and gone with it.
@Suite struct WorkerSecurityTests {
    /// The arguments of a process, from /proc.
    static func commandLine(_ pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether a process exists and has not exited (an exited one nobody reaped is a zombie, state Z).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.range(of: ")", options: .backwards) else { return false }
        return stat[close.upperBound...].split(separator: " ").first != "Z"
    }

    @Test func aForgerWhoSeesTheWorkersEndpointGetsNoTrialIn() throws {
        let db = GymProcess.databasePath()
        let (process, output) = try GymProcess.start(["run", "--env", "Branin-v0", "--agent", "random", "--budget", "40", "--seed", "3",
                                                      "--option", "delay=0.05", "--workers", "2", "--progress", "jsonl", "--db", db])
        #expect(GymProcess.waitForProgress(output, atLeast: 2) >= 2)
        // The forger reads the endpoint from a worker's command line, as `ps` shows it to anyone.
        let workers = GymProcess.children(of: process.processIdentifier)
        let arguments = try #require(workers.first.map(Self.commandLine))
        let endpoint = try #require(arguments.firstIndex(of: "--connect").map { arguments[$0 + 1] })
        #expect(!arguments.joined(separator: " ").contains("secret"))
        // It says it is ready, again and again, and answers every job with a forged result.
        let forger = try ZMQSocket(type: ZMQ_DEALER)
        // Its handshake fails, so the socket has no peer and a send would wait forever: wait 100 ms at most.
        try forger.setOption(ZMQ_SNDTIMEO, 100)
        try forger.connect(endpoint)
        var jobs = 0
        let until = Date().addingTimeInterval(3)
        while Date() < until {
            try? forger.send([Data(#"{"type": "ready", "worker": "forger"}"#.utf8)])
            guard let frames = try forger.receive(timeout: 100), let frame = frames.last,
                  case .object(let job)? = try? JSONValue.parse(frame), let id = job["job"] else { continue }
            jobs += 1
            let forged: JSONValue = ["type": "result", "job": id, "worker": "forger",
                                     "evaluation": ["status": "ok", "metrics": ["value": -1000], "wall_time": 0]]
            try? forger.send([forged.jsonData])
        }
        while !output.fileHandleForReading.availableData.isEmpty {}
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(jobs == 0, "the forger was sent \(jobs) jobs")
        let trials = try TrajectoryStore(path: db).trials(experiment: 1)
        #expect(trials.count == 40)
        #expect(trials.allSatisfy { $0.worker.hasPrefix("local-") && $0.evaluation.metrics["value"] != -1000 })
    }

    @Test func workersDieWithTheirRunEvenWhenItIsKilled() throws {
        let db = GymProcess.databasePath()
        let (process, output) = try GymProcess.start(["run", "--env", "Branin-v0", "--budget", "500", "--option", "delay=0.5",
                                                      "--workers", "2", "--progress", "jsonl", "--db", db])
        #expect(GymProcess.waitForProgress(output, atLeast: 1) >= 1)
        let workers = GymProcess.children(of: process.processIdentifier)
        #expect(workers.count == 2)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Each worker notices within a heartbeat (0.5 s), even in the middle of an evaluation.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && workers.contains(where: Self.isRunning) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!workers.contains(where: Self.isRunning), "workers still running after their run was killed: \(workers)")
    }
}
