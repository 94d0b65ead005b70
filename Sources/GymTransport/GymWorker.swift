import CZeroMQ
import Foundation
import GymCore

/// A worker: connects to a `WorkerPool` (a broker, or `gym run --workers`) and evaluates the designs it
/// is sent, one at a time, with environments from its own registry.
///
/// The socket stays on the calling thread, which keeps sending heartbeats while an evaluation runs on
/// another thread, so a long evaluation is never mistaken for a dead worker.
public final class GymWorker: @unchecked Sendable {
    /// Why `run` returned.
    public enum Ending: Sendable, Equatable {
        /// `stop()` was called.
        case stopped
        /// The pool abandoned the running evaluation (it timed out): replace this worker with a fresh one.
        case replace
        /// The parent process it serves is gone: exit, whatever is running.
        case orphaned
    }

    public let endpoint: String
    public let name: String
    private let registry: Registry
    private let heartbeatInterval: Double
    private let lock = NSLock()
    private var stopping = false
    private var finished: [Data] = []
    private var wake: WakePipe?
    private var environments: [String: any Environment] = [:]
    private let curve: Curve.Client?
    private let parent: Int32?
    private var connected = false
    /// Told once, when the broker first answers: "connected".
    public var onConnected: @Sendable () -> Void = {}

    /// A worker for the pool at `endpoint`; with a `parent` process id, it stops as soon as that process is
    /// gone (its parent changes), even in the middle of an evaluation.
    public init(endpoint: String, registry: Registry, name: String? = nil, heartbeatInterval: Double = 0.5, curve: Curve.Client? = nil,
                parent: Int32? = nil) {
        self.curve = curve
        self.parent = parent
        self.endpoint = endpoint
        self.registry = registry
        self.name = name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        self.heartbeatInterval = heartbeatInterval
    }

    /// Whether the broker has answered this worker yet.
    public var hasConnected: Bool {
        lock.lock()
        defer { lock.unlock() }
        return connected
    }

    /// Asks `run` to return after the current evaluation.
    public func stop() {
        lock.lock()
        stopping = true
        let wake = self.wake
        lock.unlock()
        wake?.wake()
    }

    /// Serves jobs until stopped or abandoned.
    public func run() throws -> Ending {
        let wake = try WakePipe()
        lock.lock()
        self.wake = wake
        lock.unlock()
        let socket = try ZMQSocket(type: ZMQ_DEALER)
        if let curve { try socket.secure(curve) }
        try socket.connect(endpoint)
        var queued: [[String: JSONValue]] = []
        var running: Int?
        var lastBeat = Date.distantPast
        func beat() throws {
            var message: [String: JSONValue] = ["type": running == nil ? "ready" : "busy", "worker": .string(name)]
            if let running { message["job"] = .number(Double(running)) }
            try socket.send([WireJSON.encode(JSONValue.object(message))])
            lastBeat = Date()
        }
        try beat()
        while true {
            if let parent, getppid() != parent { return .orphaned }
            lock.lock()
            let done = stopping
            let results = finished
            finished.removeAll()
            lock.unlock()
            for result in results {
                try socket.send([result])
                running = nil
            }
            if done && running == nil {
                // Pre-empted or stopped between jobs: the broker learns at once, rather than after its
                // liveness timeout, and counts no failed attempt against anything.
                // Its acknowledgement also says the last result arrived (one connection keeps the order); the
                // process may exit as soon as this returns, taking unsent messages with it.
                try? socket.send([WireJSON.encode(JSONValue.object(["type": "leaving", "worker": .string(name)]))])
                let patience = Date().addingTimeInterval(2)
                waiting: while Date() < patience {
                    guard let frames = try? socket.receive(timeout: 100), let frame = frames.last else { continue }
                    if case .object(let message)? = try? JSONValue.parse(frame), message["type"] == .string("goodbye") { break waiting }
                }
                return .stopped
            }
            if running == nil, !queued.isEmpty {
                let job = queued.removeFirst()
                if case .number(let id)? = job["job"] { running = Int(id) }
                start(job, wake: wake)
                try beat()
            }
            if Date().timeIntervalSince(lastBeat) >= heartbeatInterval { try beat() }
            let wait = max(1, Int((heartbeatInterval - Date().timeIntervalSince(lastBeat)) * 1000))
            guard let frames = try socket.receive(timeout: wait, alsoWatching: wake.readEnd) else { continue }
            if frames.isEmpty {
                wake.drain()
                continue
            }
            guard let frame = frames.last, case .object(let message)? = try? JSONValue.parse(frame),
                  case .string(let type)? = message["type"] else { continue }
            if !hasConnected {
                lock.lock()
                connected = true
                lock.unlock()
                onConnected()
            }
            switch type {
            case "welcome":
                continue
            case "job":
                queued.append(message)
            case "abandon":
                if case .number(let id)? = message["job"], Int(id) == running { return .replace }
                queued.removeAll { $0["job"] == message["job"] }
            default:
                continue
            }
        }
    }

    /// Evaluates a job on a thread of its own; the result goes to the outbox.
    private func start(_ job: [String: JSONValue], wake: WakePipe) {
        let thread = Thread {
            let evaluation = self.evaluate(job)
            let reply: [String: JSONValue] = ["type": "result", "job": job["job"] ?? .null, "worker": .string(self.name),
                                              "evaluation": WireJSON.value(evaluation)]
            self.lock.lock()
            self.finished.append(WireJSON.encode(JSONValue.object(reply)))
            self.lock.unlock()
            wake.wake()
        }
        thread.name = "designgym.worker.evaluation"
        thread.start()
    }

    private func evaluate(_ job: [String: JSONValue]) -> Evaluation {
        guard case .string(let id)? = job["environment"], case .string(let seedText)? = job["seed"], let seed = UInt64(seedText),
              let designValue = job["design"], let design = try? WireJSON.decode(Design.self, designValue) else {
            return .unsuccessful(.failed, message: "worker \(name) received a job it cannot read")
        }
        var values: [String: String] = [:]
        if case .object(let object)? = job["options"] {
            for (key, value) in object { if case .string(let text) = value { values[key] = text } }
        }
        var workload: String?
        if case .string(let text)? = job["workload"] { workload = text }
        var fidelity: String?
        if case .string(let text)? = job["fidelity"] { fidelity = text }
        let options = EnvironmentOptions(workload: workload, seed: seed, fidelity: fidelity, values: values)
        let key = String(decoding: WireJSON.encode(JSONValue.object([
            "environment": .string(id), "options": WireJSON.value(options), "seed": .string(seedText),
        ])), as: UTF8.self)
        do {
            let environment: any Environment
            if let cached = environments[key] {
                environment = cached
            } else {
                environment = try registry.makeEnvironment(id, options: options)
                environments[key] = environment
            }
            return environment.measure(design)
        } catch {
            return .unsuccessful(.failed, message: "worker \(name): \(error)")
        }
    }
}
