import CZeroMQ
import Foundation
import GymCore

/// The broker's core: hands evaluations to worker processes over ZeroMQ and waits for their results.
///
/// Workers (`GymWorker`, `gym worker --connect`) connect a DEALER socket to the pool's ROUTER and speak
/// `designgym-worker/1` (docs/PROTOCOL.md): they announce themselves ready, send a heartbeat every
/// `heartbeatInterval` while idle or busy, and return one result per job. A worker silent for
/// `liveness` seconds is dead: its job goes back to the front of the queue for another worker. A job
/// running longer than `evaluationTimeout` completes with status `timeout`, and its worker is told to
/// replace itself. Each job completes exactly once: a late result from a worker that lost its job is
/// dropped, so nothing is lost or duplicated.
///
/// `evaluate` is thread-safe and blocks until the job completes; call it from many threads to keep many
/// workers busy. The socket lives on the pool's own thread.
public final class WorkerPool: @unchecked Sendable {
    /// Heartbeats, liveness and the evaluation timeout, in seconds.
    public struct Settings: Sendable {
        public var heartbeatInterval: Double
        public var liveness: Double
        public var evaluationTimeout: Double?
        /// Times a job is re-queued after its worker died before it fails.
        public var maximumAttempts: Int

        public init(heartbeatInterval: Double = 0.5, liveness: Double = 3, evaluationTimeout: Double? = nil, maximumAttempts: Int = 3) {
            self.heartbeatInterval = heartbeatInterval
            self.liveness = liveness
            self.evaluationTimeout = evaluationTimeout
            self.maximumAttempts = maximumAttempts
        }
    }

    /// What the pool has done so far.
    public struct Statistics: Sendable, Equatable {
        public var completed = 0
        public var requeued = 0
        public var timedOut = 0
        public var workersLost = 0
        public var lateResultsDropped = 0
    }

    public let settings: Settings
    private let requestedEndpoint: String
    private var boundEndpoint = ""
    private let curve: Curve.Server?
    /// Where the pool says what happens to its workers: joins, deaths, requeues, timeouts, and waits with
    /// no live worker. Called on the pool's thread.
    private let log: @Sendable (String) -> Void
    /// When the pool last said it has evaluations and no worker (nil while it has workers or no work).
    private var idleSince: Date?
    private var lastIdleNotice = Date.distantPast

    private final class Job {
        let id: Int
        let message: [String: JSONValue]
        /// The environment's id, and whether only workers that host it (rather than DesignGym's own) run it.
        var environment: String { if case .string(let id)? = message["environment"] { id } else { "" } }
        var hostedOnly = false
        let done = DispatchSemaphore(value: 0)
        var result: Evaluation?
        var worker: Data?
        var started = Date.distantPast
        var attempts = 0
        init(id: Int, message: [String: JSONValue]) {
            self.id = id
            self.message = message
        }
    }

    private struct Worker {
        var name: String
        var lastSeen: Date
        var job: Int?
        /// The environments a worker hosts itself (a Python `designgym.work`), or nil for `gym worker`,
        /// which runs every environment DesignGym has.
        var hosts: Set<String>?

        func canRun(_ job: Job) -> Bool { hosts.map { $0.contains(job.environment) } ?? !job.hostedOnly }
    }

    /// The specs workers that host environments announced, by environment id.
    private var hostedSpecs: [String: EnvironmentSpec] = [:]

    private let lock = NSLock()
    private var jobs: [Int: Job] = [:]
    private var queue: [Int] = []
    private var workers: [Data: Worker] = [:]
    private var outbox: [[Data]] = []
    private var nextJob = 0
    private var stopping = false
    private var stats = Statistics()
    private let thread: SocketThread

    /// A pool for workers connecting to `endpoint` (loopback, ipc or inproc only unless `allowRemote`).
    public init(endpoint: String, allowRemote: Bool = false, settings: Settings = Settings(), curve: Curve.Server? = nil,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        if curve != nil { try Curve.requireAvailable() }
        self.curve = curve
        self.log = log
        guard allowRemote || GymServer.isLocal(endpoint) else {
            throw ProtocolError(.badRequest, "\(endpoint) is reachable from other machines; bind workers to tcp://127.0.0.1:PORT, or pass --allow-remote")
        }
        self.requestedEndpoint = endpoint
        self.settings = settings
        thread = try SocketThread(name: "designgym.pool")
    }

    /// Binds and starts the pool's thread; returns the endpoint workers connect to.
    @discardableResult
    public func start() throws -> String {
        let endpoint = try thread.startRouter(endpoint: requestedEndpoint, maximumMessage: WireProtocol.defaultMessageLimit * 4, curve: curve) { [self] socket in
            serve(socket, wake: thread.wake)
        }
        lock.lock()
        boundEndpoint = endpoint
        lock.unlock()
        return endpoint
    }

    /// Stops the pool: waiting evaluations fail, and the thread ends.
    public func stop() {
        lock.lock()
        let wasStopping = stopping
        stopping = true
        lock.unlock()
        if !wasStopping { thread.wakeAndWait() }
    }

    /// Workers connected now.
    public var workerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return workers.count
    }

    /// What the pool has done so far.
    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    /// The pool now, for the `status` op: each worker (name, the job it runs, seconds since it was last
    /// heard), the evaluations queued and running, and the counts since the pool started.
    public var status: [String: JSONValue] {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let listed: [JSONValue] = workers.values.sorted { $0.name < $1.name }.map { worker in
            var entry: [String: JSONValue] = ["name": .string(worker.name), "silent_seconds": .number((now.timeIntervalSince(worker.lastSeen) * 10).rounded() / 10)]
            entry["job"] = worker.job.map { .number(Double($0)) } ?? .null
            if let hosts = worker.hosts { entry["hosts"] = .array(hosts.sorted().map(JSONValue.string)) }
            return .object(entry)
        }
        return [
            "workers": .array(listed), "queued": .number(Double(queue.count)), "running": .number(Double(jobs.count - queue.count)),
            "completed": .number(Double(stats.completed)), "requeued": .number(Double(stats.requeued)),
            "timed_out": .number(Double(stats.timedOut)), "workers_lost": .number(Double(stats.workersLost)),
        ]
    }

    /// Waits until at least `count` workers are connected; false on timeout.
    public func waitForWorkers(_ count: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if workerCount >= count { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return workerCount >= count
    }

    /// The spec a worker hosting `environment` announced, waiting up to `timeout` seconds for one to connect.
    public func hostedSpec(_ environment: String, timeout: Double) -> EnvironmentSpec? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            lock.lock()
            let spec = hostedSpecs[environment]
            lock.unlock()
            if let spec { return spec }
            guard Date() < deadline else { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Evaluates `design` of `environment` (created with `options`) on a worker and waits for the result;
    /// with `hostedOnly`, only a worker that announced it hosts `environment` runs it.
    public func evaluate(environment: String, options: EnvironmentOptions, design: Design, hostedOnly: Bool = false) -> Evaluation {
        var message: [String: JSONValue] = [
            "type": "job", "environment": .string(environment), "seed": .string(String(options.seed)),
            "design": RemoteEnvironment.json(design), "options": .object(options.values.mapValues(JSONValue.string)),
        ]
        if let workload = options.workload { message["workload"] = .string(workload) }
        if let fidelity = options.fidelity { message["fidelity"] = .string(fidelity) }
        lock.lock()
        guard !stopping else {
            lock.unlock()
            return .unsuccessful(.failed, message: "the worker pool has stopped")
        }
        nextJob += 1
        let job = Job(id: nextJob, message: message)
        job.hostedOnly = hostedOnly
        jobs[job.id] = job
        queue.append(job.id)
        lock.unlock()
        thread.wake.wake()
        job.done.wait()
        return job.result ?? .unsuccessful(.failed, message: "the worker pool stopped before the evaluation finished")
    }

    // MARK: - The pool's thread

    private func serve(_ socket: ZMQSocket, wake: WakePipe) {
        let tick = max(10, Int(settings.heartbeatInterval * 1000 / 5))
        while true {
            lock.lock()
            if stopping {
                for job in jobs.values where job.result == nil {
                    job.result = .unsuccessful(.failed, message: "the worker pool stopped before the evaluation finished")
                    job.done.signal()
                }
                jobs.removeAll()
                lock.unlock()
                return
            }
            superviseLocked(now: Date())
            let messages = outbox
            outbox.removeAll()
            lock.unlock()
            for message in messages { try? socket.send(message) }
            guard let frames = try? socket.receive(timeout: tick, alsoWatching: wake.readEnd) else { continue }
            if frames.isEmpty {
                wake.drain()
                continue
            }
            guard frames.count == 2, case .object(let message)? = try? JSONValue.parse(frames[1]),
                  case .string(let type)? = message["type"] else { continue }
            lock.lock()
            handleLocked(type, message, from: frames[0])
            lock.unlock()
        }
    }

    private func handleLocked(_ type: String, _ message: [String: JSONValue], from identity: Data) {
        let now = Date()
        let name: String
        if case .string(let given)? = message["worker"] { name = given } else { name = "worker" }
        switch type {
        case "ready":
            // A worker hosting environments of its own says which, with their specs.
            var hosts: Set<String>?
            if case .object(let announced)? = message["environments"] {
                hosts = Set(announced.keys)
                for (id, value) in announced where hostedSpecs[id] == nil {
                    if let spec = try? WireJSON.decode(EnvironmentSpec.self, value), spec.id == id { hostedSpecs[id] = spec }
                }
            }
            if var worker = workers[identity] {
                worker.lastSeen = now
                // A worker that says it is idle while we think it runs a job lost the job: run it elsewhere.
                if let id = worker.job, let job = jobs[id], now.timeIntervalSince(job.started) > settings.liveness {
                    requeueLocked(job)
                    worker.job = nil
                }
                workers[identity] = worker
            } else {
                workers[identity] = Worker(name: name, lastSeen: now, job: nil, hosts: hosts)
                log("worker \(name) joined\(hosts.map { " hosting \($0.sorted().joined(separator: ", "))" } ?? "") (\(workers.count) connected)")
                // So the worker knows it reached a broker (a wrong endpoint or CURVE key is otherwise silence).
                outbox.append([identity, WireJSON.encode(JSONValue.object(["type": "welcome"]))])
            }
        case "leaving":
            // Stopped (SIGTERM: a pre-empted node) between evaluations; anything it held goes back to the
            // queue without counting as a worker dying on it.
            outbox.append([identity, WireJSON.encode(JSONValue.object(["type": "goodbye"]))])
            guard let worker = workers.removeValue(forKey: identity) else { return }
            if let id = worker.job, let job = jobs[id] {
                job.worker = nil
                queue.insert(id, at: 0)
                stats.requeued += 1
            }
            log("worker \(worker.name) left (\(workers.count) connected)")
        case "busy":
            workers[identity]?.lastSeen = now
        case "result":
            guard var worker = workers[identity] else {
                stats.lateResultsDropped += 1
                return
            }
            worker.lastSeen = now
            guard case .number(let number)? = message["job"], let job = jobs[Int(number)], job.worker == identity,
                  worker.job == job.id else {
                stats.lateResultsDropped += 1
                workers[identity] = worker
                return
            }
            worker.job = nil
            workers[identity] = worker
            var evaluation: Evaluation
            if let value = message["evaluation"], let decoded = try? WireJSON.decode(Evaluation.self, value) {
                evaluation = decoded
                // Which worker evaluated it, for the trial's record.
                evaluation.details["worker"] = .string(worker.name)
            } else {
                evaluation = .unsuccessful(.failed, message: "worker \(worker.name) sent an unreadable result")
            }
            completeLocked(job, evaluation)
        default:
            workers[identity]?.lastSeen = now
        }
    }

    private func completeLocked(_ job: Job, _ evaluation: Evaluation) {
        job.result = evaluation
        jobs[job.id] = nil
        stats.completed += 1
        job.done.signal()
    }

    private func requeueLocked(_ job: Job) {
        job.worker = nil
        job.attempts += 1
        if job.attempts >= settings.maximumAttempts {
            log("job \(job.id) failed: \(job.attempts) workers died while evaluating it")
            completeLocked(job, .unsuccessful(.failed, message: "\(job.attempts) workers died while evaluating this design"))
        } else {
            stats.requeued += 1
            queue.insert(job.id, at: 0)
            log("job \(job.id) back in the queue (attempt \(job.attempts + 1) of \(settings.maximumAttempts))")
        }
    }

    /// Finds dead workers and overdue jobs, and hands queued jobs to idle workers.
    private func superviseLocked(now: Date) {
        for (identity, worker) in workers where now.timeIntervalSince(worker.lastSeen) > settings.liveness {
            workers[identity] = nil
            stats.workersLost += 1
            log("worker \(worker.name) silent for \(Parameter.numberText(settings.liveness)) s: presumed dead\(worker.job.map { " while running job \($0)" } ?? "") (\(workers.count) connected)")
            if let id = worker.job, let job = jobs[id] { requeueLocked(job) }
        }
        // Evaluations waiting with nobody to run them: said at once, then every 30 s while it lasts.
        let runnable = queue.contains { id in jobs[id].map { job in workers.values.contains { $0.canRun(job) } } ?? false }
        if !queue.isEmpty && !runnable {
            if idleSince == nil { idleSince = now }
            if now.timeIntervalSince(lastIdleNotice) >= 30 {
                lastIdleNotice = now
                let hosted = Set(queue.compactMap { jobs[$0] }.filter(\.hostedOnly).map(\.environment)).sorted()
                let start = hosted.isEmpty ? "start one with `gym worker --connect \(boundEndpoint)`"
                    : "start a worker hosting \(hosted.joined(separator: ", ")) with designgym.work(…, connect=\"\(boundEndpoint)\")"
                log("no live worker: \(queue.count) evaluation\(queue.count == 1 ? "" : "s") waiting for \(Int(now.timeIntervalSince(idleSince!))) s; \(start)")
            }
        } else {
            idleSince = nil
            lastIdleNotice = .distantPast
        }
        if let timeout = settings.evaluationTimeout {
            for (identity, worker) in workers {
                guard let id = worker.job, let job = jobs[id], now.timeIntervalSince(job.started) > timeout else { continue }
                stats.timedOut += 1
                log("job \(id) ran longer than \(Parameter.numberText(timeout)) s on worker \(worker.name): recorded as a timeout, the worker replaces itself")
                completeLocked(job, .unsuccessful(
                    .timeout, message: "the evaluation ran longer than \(Parameter.numberText(timeout)) s on worker \(worker.name); the worker is being replaced"))
                outbox.append([identity, WireJSON.encode(JSONValue.object(["type": "abandon", "job": .number(Double(id))]))])
                workers[identity] = nil
            }
        }
        guard !queue.isEmpty else { return }
        for (identity, worker) in workers.sorted(by: { $0.value.name < $1.value.name }) where worker.job == nil {
            // The first queued job this worker can run.
            guard let position = queue.firstIndex(where: { jobs[$0].map(worker.canRun) ?? true }) else { continue }
            let id = queue.remove(at: position)
            guard let job = jobs[id] else { continue }
            job.worker = identity
            job.started = now
            workers[identity]?.job = id
            var message = job.message
            message["job"] = .number(Double(id))
            outbox.append([identity, WireJSON.encode(JSONValue.object(message))])
        }
    }
}

/// An environment whose evaluations run on a `WorkerPool`'s workers. Its spec comes from a local
/// instance, so designs validate here and the same errors arise as with a local environment. Safe to
/// evaluate from many threads at once.
public struct PooledEnvironment: Environment, ConcurrentlyEvaluable {
    public let spec: EnvironmentSpec
    private let pool: WorkerPool
    private let options: EnvironmentOptions
    private let hostedOnly: Bool

    public init(pool: WorkerPool, local: any Environment, options: EnvironmentOptions) {
        self.pool = pool
        self.spec = local.spec
        self.options = options
        hostedOnly = false
    }

    /// An environment only workers that host it can run, with the spec they announced.
    init(pool: WorkerPool, hostedSpec: EnvironmentSpec, options: EnvironmentOptions) throws {
        var spec = hostedSpec
        spec.workload = try hostedSpec.resolveWorkload(options)
        self.pool = pool
        self.spec = spec
        self.options = options
        hostedOnly = true
    }

    public func evaluate(_ design: Design) throws -> Evaluation {
        let canonical = try spec.space.validate(design)
        let evaluation = pool.evaluate(environment: spec.id, options: options, design: canonical, hostedOnly: hostedOnly)
        return hostedOnly ? evaluation.checked(against: spec.metrics, from: "the worker hosting \(spec.id)") : evaluation
    }

    /// `registry` with every environment's evaluations sent to `pool`, and the environments `hosted` by
    /// workers of their own (a Python `designgym.work`), whose specs those workers announce.
    public static func registry(_ registry: Registry, pool: WorkerPool, hosted: [String] = [], waitForHosts: Double = 30) -> Registry {
        var pooled = Registry()
        for entry in registry.environments {
            pooled.register(EnvironmentEntry(id: entry.id, summary: entry.summary) { options in
                PooledEnvironment(pool: pool, local: try entry.make(options), options: options)
            })
        }
        // Families (`Command:<file>`, `Proxy:<file>`): the spec is read here, the evaluations run on workers,
        // which read the same file.
        for family in registry.families {
            pooled.register(EnvironmentFamily(prefix: family.prefix, parameterName: family.parameterName, summary: family.summary) { parameter, options, _ in
                PooledEnvironment(pool: pool, local: try family.make(parameter, options, registry), options: options)
            })
        }
        for id in hosted where !registry.environments.contains(where: { $0.id == id }) {
            pooled.register(EnvironmentEntry(id: id, summary: "hosted by workers of its own") { options in
                guard let spec = pool.hostedSpec(id, timeout: waitForHosts) else {
                    throw EnvironmentError.invalidOption(key: "environment", value: id,
                                                         reason: "no worker hosting \(id) has connected within \(Parameter.numberText(waitForHosts)) s")
                }
                return try PooledEnvironment(pool: pool, hostedSpec: spec, options: options)
            })
        }
        for agent in registry.agents { pooled.register(agent) }
        return pooled
    }
}

/// An environment that may evaluate many designs at once from different threads, such as one whose
/// evaluations run elsewhere. Servers evaluate a batch of its designs concurrently.
public protocol ConcurrentlyEvaluable {}
