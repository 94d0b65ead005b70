import CZeroMQ
import Foundation
import GymCatalog
import GymCore
import Testing
@testable import GymTransport

/// The broker's machinery: jobs to workers, heartbeats, dead workers, timeouts, exactly-once results.
@Suite struct WorkerPoolTests {
    /// Starts `count` in-process workers on threads; returns them and a group that finishes when they do.
    static func startWorkers(_ count: Int, endpoint: String, prefix: String = "w") -> [GymWorker] {
        (0..<count).map { index in
            let worker = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "\(prefix)\(index)", heartbeatInterval: 0.1)
            Thread { _ = try? worker.run() }.start()
            return worker
        }
    }

    static func designs(_ count: Int, seed: UInt64) throws -> (any Environment, [Design]) {
        let local = try Catalog.registry.makeEnvironment("Branin-v0", options: EnvironmentOptions(seed: 5))
        var generator = SeededGenerator(seed: seed)
        return (local, (0..<count).map { _ in local.spec.space.sample(using: &generator) })
    }

    @Test func workersEvaluateExactlyWhatALocalEnvironmentWould() throws {
        let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: .init(heartbeatInterval: 0.1, liveness: 2))
        let endpoint = try pool.start()
        defer { pool.stop() }
        let workers = Self.startWorkers(3, endpoint: endpoint)
        defer { workers.forEach { $0.stop() } }
        #expect(pool.waitForWorkers(3, timeout: 10))
        let (local, designs) = try Self.designs(40, seed: 1)
        let results = Slots<Evaluation>(count: designs.count)
        DispatchQueue.concurrentPerform(iterations: designs.count) { index in
            results.set(index, pool.evaluate(environment: "Branin-v0", options: EnvironmentOptions(seed: 5), design: designs[index]))
        }
        for (index, design) in designs.enumerated() {
            #expect(results.values[index]?.metrics == local.measure(design).metrics)
        }
        #expect(pool.statistics.completed == 40 && pool.statistics.requeued == 0)
    }

    @Test func aSilentWorkersJobGoesToAnotherAndItsLateResultIsDropped() throws {
        let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: .init(heartbeatInterval: 0.1, liveness: 0.6))
        let endpoint = try pool.start()
        defer { pool.stop() }
        // A worker that takes a job and then falls silent, as a SIGKILLed one does.
        let silent = try ZMQSocket(type: ZMQ_DEALER)
        try silent.connect(endpoint)
        try silent.send([WireJSON.encode(JSONValue.object(["type": "ready", "worker": "silent"]))])
        #expect(pool.waitForWorkers(1, timeout: 10))
        let (local, designs) = try Self.designs(1, seed: 2)
        let result = Slots<Evaluation>(count: 1)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            result.set(0, pool.evaluate(environment: "Branin-v0", options: EnvironmentOptions(seed: 5), design: designs[0]))
            finished.signal()
        }
        // It beats like a live worker until the job arrives (a loaded machine may take a while to send it).
        var received: [Data]?
        let deadline = Date().addingTimeInterval(10)
        while received == nil && Date() < deadline {
            try silent.send([WireJSON.encode(JSONValue.object(["type": "ready", "worker": "silent"]))])
            received = try silent.receive(timeout: 100)
            // The pool's welcome to a worker it did not know comes first.
            if let frame = received?.last, case .object(let message)? = try? JSONDecoder().decode(JSONValue.self, from: frame),
               message["type"] == .string("welcome") { received = nil }
        }
        let job = try #require(received)
        guard case .object(let message)? = try? JSONDecoder().decode(JSONValue.self, from: job.last!), let id = message["job"] else {
            Issue.record("no job")
            return
        }
        // A real worker joins; the silent one is declared dead after 0.6 s and its job re-queued.
        let workers = Self.startWorkers(1, endpoint: endpoint, prefix: "real")
        defer { workers.forEach { $0.stop() } }
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(result.values[0]?.metrics == local.measure(designs[0]).metrics)
        #expect(pool.statistics.requeued == 1 && pool.statistics.workersLost >= 1)
        // The silent worker wakes up and sends a result for the job: it is dropped, not recorded twice.
        let late: [String: JSONValue] = ["type": "result", "job": id, "evaluation": WireJSON.value(Evaluation(metrics: ["value": -1]))]
        try silent.send([WireJSON.encode(JSONValue.object(late))])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(pool.statistics.lateResultsDropped == 1 && pool.statistics.completed == 1)
    }

    @Test func anEvaluationPastItsTimeoutIsReportedAndItsWorkerReplaced() throws {
        let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: .init(heartbeatInterval: 0.1, liveness: 2, evaluationTimeout: 0.4))
        let endpoint = try pool.start()
        defer { pool.stop() }
        let worker = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "slow", heartbeatInterval: 0.1)
        let ending = Slots<Evaluation>(count: 1)
        let ended = DispatchSemaphore(value: 0)
        Thread {
            if (try? worker.run()) == .replace { ending.set(0, Evaluation(metrics: [:])) }
            ended.signal()
        }.start()
        #expect(pool.waitForWorkers(1, timeout: 10))
        let (_, designs) = try Self.designs(1, seed: 3)
        // Heartbeats keep flowing during a slow evaluation, so only the timeout ends it.
        let slow = pool.evaluate(environment: "Branin-v0", options: EnvironmentOptions(seed: 5, values: ["delay": "3"]), design: designs[0])
        #expect(slow.status == .timeout)
        #expect(slow.message?.contains("ran longer than 0.4 s on worker slow") == true)
        #expect(ended.wait(timeout: .now() + 5) == .success)
        #expect(ending.values[0] != nil, "the worker was not told to replace itself")
        // A fresh worker takes the next job.
        let fresh = Self.startWorkers(1, endpoint: endpoint, prefix: "fresh")
        defer { fresh.forEach { $0.stop() } }
        let quick = pool.evaluate(environment: "Branin-v0", options: EnvironmentOptions(seed: 5), design: designs[0])
        #expect(quick.status == .ok)
        #expect(pool.statistics.timedOut == 1)
    }

    @Test func aBrokerServesTheProtocolWithEvaluationsOnWorkers() throws {
        let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: .init(heartbeatInterval: 0.1))
        let workerEndpoint = try pool.start()
        defer { pool.stop() }
        let workers = Self.startWorkers(2, endpoint: workerEndpoint)
        defer { workers.forEach { $0.stop() } }
        let service = SessionService(registry: PooledEnvironment.registry(Catalog.registry, pool: pool))
        let server = try GymServer(service: service, endpoint: "tcp://127.0.0.1:*")
        let endpoint = try server.start()
        defer { server.stop() }
        #expect(pool.waitForWorkers(2, timeout: 10))
        // Two designs of 0.3 s each in one "evaluate": both workers run at once.
        let remote = try RemoteEnvironment(endpoint: endpoint, environment: "Branin-v0",
                                           options: EnvironmentOptions(seed: 5, values: ["delay": "0.3"]))
        let (local, designs) = try Self.designs(2, seed: 4)
        let client = try GymClient(endpoint: endpoint)
        let opened = try client.request("open", ["environment": "Branin-v0", "seed": "5", "options": ["delay": "0.3"]])
        guard case .object(let fields) = opened, let session = fields["session"] else { return }
        let started = Date()
        let reply = try client.request("evaluate", ["session": session, "designs": .array(designs.map(RemoteEnvironment.json))])
        #expect(Date().timeIntervalSince(started) < 0.55, "the batch ran one design at a time")
        guard case .object(let result) = reply, case .array(let evaluations)? = result["evaluations"] else { return }
        for (index, value) in evaluations.enumerated() {
            #expect(try WireJSON.decode(Evaluation.self, value).metrics == local.measure(designs[index]).metrics)
        }
        #expect(remote.measure(designs[0]).metrics == local.measure(designs[0]).metrics)
    }
}
