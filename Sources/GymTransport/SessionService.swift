import Experiments
import Foundation
import GymCore
import GymStore

/// The protocol's semantics without any socket: turns one request into one reply. The server runs it
/// behind a ROUTER socket; tests and in-process clients call it directly (its in-memory twin).
///
/// Thread-safe: requests for different sessions run concurrently, requests for one session in order.
/// What a client may reach is decided here, by the server's operator: the environments served, the files
/// inside the folder `settings.files` allows, and nothing else; every evaluation and every environment
/// made for a client runs under `settings.evaluationTimeout`. With a store, every session and study is an
/// experiment in it, logged through one writer: a reply that reports an evaluation is sent only once the
/// evaluation is committed.
public final class SessionService: @unchecked Sendable {
    /// What the server's operator allows its clients, and where it logs.
    public struct Settings: Sendable {
        /// The largest request accepted, in bytes.
        public var messageLimit: Int
        /// The most sessions and studies open at once.
        public var sessionLimit: Int
        /// Seconds one evaluation, or making one environment, may take (nil: no limit).
        public var evaluationTimeout: Double?
        /// The files clients may name.
        public var files: FileAccess
        /// Where sessions and studies are logged as experiments (nil: not logged; studies need it).
        public var store: TrajectoryStore?
        /// Seconds without a request after which a session or study is closed (`interrupted` when logged).
        public var idleTimeout: Double?
        /// The name trials evaluated here are logged with (`serve`, `broker`).
        public var workerName: String

        /// The time limit a server starts with unless told otherwise.
        public static let defaultTimeout = 600.0
        /// The idle limit a server starts with unless told otherwise.
        public static let defaultIdleTimeout = 600.0

        /// Creates settings.
        public init(messageLimit: Int = WireProtocol.defaultMessageLimit, sessionLimit: Int = 1024,
                    evaluationTimeout: Double? = Settings.defaultTimeout, files: FileAccess = .none, store: TrajectoryStore? = nil,
                    idleTimeout: Double? = Settings.defaultIdleTimeout, workerName: String = "serve") {
            self.messageLimit = messageLimit
            self.sessionLimit = sessionLimit
            self.evaluationTimeout = evaluationTimeout
            self.files = files
            self.store = store
            self.idleTimeout = idleTimeout
            self.workerName = workerName
        }
    }

    /// What `status` adds about the evaluations' workers (a broker's pool), when there are any.
    public var statusReport: (@Sendable () -> [String: JSONValue])?
    /// The environments served (and the agents studies may use), by id.
    public let registry: Registry
    /// The ids clients may open; all registered ones when empty.
    public let served: [String]
    /// What clients may reach.
    public let settings: Settings
    /// The largest request accepted, in bytes.
    public var messageLimit: Int { settings.messageLimit }
    /// The most sessions open at once.
    public var sessionLimit: Int { settings.sessionLimit }
    /// The writer every logged session and study shares.
    let writer: TrialWriter?

    /// An open session (an environment, an objective, an episode) or study (an agent suggesting designs).
    final class Session: @unchecked Sendable {
        let lock = NSLock()
        /// Runs the session's requests one at a time, in the order they arrived.
        let queue: DispatchQueue
        /// Requests handed to the queue and not finished, and the last request's time (guarded by the
        /// service's lock).
        var inFlight = 0
        var lastActivity = DispatchTime.now().uptimeNanoseconds
        /// An environment session: its episode, the id and options it was made with.
        var episode: Episode?
        var environmentID = ""
        var options = EnvironmentOptions()
        /// A study, and the served environment it may evaluate on.
        var study: Study?
        var environment: (any Environment)?
        /// The experiment it is logged as.
        var log: ExperimentLog?

        init(key: String) {
            queue = DispatchQueue(label: "designgym.session.\(key)")
        }
    }

    /// How a server should handle one request frame.
    public enum Dispatch {
        /// The reply, computed at once: errors, `hello`, `ping`, and requests that never evaluate.
        case now(Data)
        /// Work to run on `queue`; it returns the reply. A session's requests share one serial queue, so
        /// they run in the order they arrived.
        case later(DispatchQueue, @Sendable () -> Data)
    }

    /// A queue of its own for one request that makes an environment or a study. Serial queues run on
    /// threads the system adds as needed, so requests that compute for long never hold up others (a shared
    /// concurrent queue would stop at one thread per core).
    private static func requestQueue() -> DispatchQueue { DispatchQueue(label: "designgym.server.request") }

    let lock = NSLock()
    var sessions: [String: Session] = [:]
    private var opened = 0
    private var baseSpecs: [String: EnvironmentSpec] = [:]
    private var shutDown = false

    /// Creates a service over `registry`, serving `environments` (all registered ones when empty).
    public init(registry: Registry, environments: [String] = [], settings: Settings = Settings()) {
        self.registry = registry
        self.served = environments.isEmpty ? registry.environments.map(\.id) : environments
        self.settings = settings
        writer = settings.store.map { TrialWriter(store: $0) }
        if let idle = settings.idleTimeout {
            let thread = Thread { [weak self] in Self.reapIdleSessions(of: self, idle: idle) }
            thread.name = "designgym.server.idle"
            thread.start()
        }
    }

    /// Creates a service with a message and session limit and the other settings at their defaults.
    public convenience init(registry: Registry, environments: [String] = [], messageLimit: Int, sessionLimit: Int = 1024) {
        self.init(registry: registry, environments: environments, settings: Settings(messageLimit: messageLimit, sessionLimit: sessionLimit))
    }

    /// The number of open sessions and studies.
    public var sessionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions.count
    }

    /// Ends every open session and study (logged ones as `interrupted`) and waits for the log to be
    /// written: the server is stopping.
    public func shutdown() {
        lock.lock()
        shutDown = true
        let open = sessions
        sessions.removeAll()
        lock.unlock()
        for session in open.values { session.log?.finish(.interrupted) }
        try? writer?.close()
    }

    /// Closes sessions idle for `idle` seconds, checking a few times a second; ends with the service.
    private static func reapIdleSessions(of service: SessionService?, idle: Double) {
        weak let weakService = service
        let interval = min(1, max(0.05, idle / 10))
        while true {
            Thread.sleep(forTimeInterval: interval)
            guard let service = weakService else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            service.lock.lock()
            if service.shutDown {
                service.lock.unlock()
                return
            }
            let stale = service.sessions.filter { $0.value.inFlight == 0 && Double(now - $0.value.lastActivity) / 1e9 > idle }
            for key in stale.keys { service.sessions[key] = nil }
            service.lock.unlock()
            // Its client has vanished: what it did is kept, and the experiment says it was cut short.
            for session in stale.values { session.log?.finish(.interrupted) }
        }
    }

    /// Decides how to handle `frame`: requests that cannot take long are answered at once, on the
    /// caller's thread; the rest come back as work for another thread. A session's requests keep their
    /// order either way.
    public func dispatch(_ frame: Data) -> Dispatch {
        let request: Request
        switch parse(frame) {
        case .failure(let reply): return .now(reply.data)
        case .success(let parsed): request = parsed
        }
        guard case .string(let op)? = request.fields["op"] else { return .now(handle(request)) }
        switch op {
        case "hello", "ping", "status":
            return .now(handle(request))
        case "step", "reset", "evaluate", "suggest", "observe":
            let field = op == "suggest" || op == "observe" ? "study" : "session"
            guard case .string(let key)? = request.fields[field] else { return .now(handle(request)) }
            lock.lock()
            guard let session = sessions[key] else {
                lock.unlock()
                return .now(handle(request))
            }
            session.lastActivity = DispatchTime.now().uptimeNanoseconds
            // A reset never evaluates: answered at once unless earlier requests of its session are queued.
            if op == "reset" && session.inFlight == 0 {
                lock.unlock()
                return .now(handle(request))
            }
            session.inFlight += 1
            lock.unlock()
            return .later(session.queue) { [self] in
                defer {
                    lock.lock()
                    session.inFlight -= 1
                    session.lastActivity = DispatchTime.now().uptimeNanoseconds
                    lock.unlock()
                }
                return handle(request)
            }
        default:
            return .later(Self.requestQueue()) { [self] in handle(request) }
        }
    }

    /// The reply to one request frame, computed on the caller's thread. Never throws: every failure is an
    /// error reply.
    public func handle(_ frame: Data) -> Data {
        switch parse(frame) {
        case .failure(let reply): return reply.data
        case .success(let request): return handle(request)
        }
    }

    // MARK: - Requests and replies

    /// A parsed request: its fields, and the exact text of each top-level field (ids and seeds are echoed
    /// and read from it, so no digit is lost to a double).
    struct Request: Sendable {
        var fields: [String: JSONValue]
        var text: [String: Data]
        var idText: Data { text["id"] ?? Data("null".utf8) }
    }

    private func parse(_ frame: Data) -> Result<Request, ReplyData> {
        guard frame.count <= messageLimit else {
            let id = JSONValue.topLevelFieldText("id", in: frame) ?? Data("null".utf8)
            return .failure(ReplyData(Self.reply(idText: id, error: ProtocolError(
                .tooLarge, "the request has \(frame.count) bytes; the limit is \(messageLimit)", details: ["limit": .number(Double(messageLimit))]))))
        }
        guard let parsed = try? JSONValue.parseObject(frame) else {
            return .failure(ReplyData(Self.reply(idText: Data("null".utf8), error: ProtocolError(
                .malformedJSON, "a request is one JSON object: {\"protocol\": \"\(WireProtocol.name)\", \"id\": …, \"op\": …}"))))
        }
        return .success(Request(fields: parsed.fields, text: parsed.text))
    }

    /// A reply computed before a request could be read.
    struct ReplyData: Error { let data: Data; init(_ data: Data) { self.data = data } }

    private func handle(_ request: Request) -> Data {
        do {
            return Self.reply(idText: request.idText, result: try perform(request))
        } catch let error as ProtocolError {
            return Self.reply(idText: request.idText, error: error)
        } catch {
            return Self.reply(idText: request.idText, error: ProtocolError(.evaluationFailed, String(describing: error)))
        }
    }

    /// `{"id": …, "ok": true, "result": …}` with the id's exact text, keys sorted.
    static func reply(idText: Data, result: JSONValue) -> Data {
        var data = Data("{\"id\":".utf8)
        data.append(idText)
        data.append(Data(",\"ok\":true,\"result\":".utf8))
        data.append(result.jsonData)
        data.append(Data("}".utf8))
        return data
    }

    /// `{"error": …, "id": …, "ok": false}` with the id's exact text, keys sorted.
    static func reply(idText: Data, error: ProtocolError) -> Data {
        var data = Data("{\"error\":".utf8)
        data.append(WireJSON.value(error).jsonData)
        data.append(Data(",\"id\":".utf8))
        data.append(idText)
        data.append(Data(",\"ok\":false}".utf8))
        return data
    }

    // MARK: - Operations

    static let ops = ["hello", "describe", "open", "reset", "step", "evaluate", "close", "open_study", "suggest", "observe", "ping", "status"]

    private func perform(_ request: Request) throws -> JSONValue {
        let fields = request.fields
        guard case .string(let version)? = fields["protocol"], version == WireProtocol.name else {
            throw ProtocolError(.protocolMismatch, "this server speaks \"\(WireProtocol.name)\"; put it in the request's \"protocol\" field",
                                details: ["expected": .string(WireProtocol.name)])
        }
        guard case .string(let op)? = fields["op"] else {
            throw ProtocolError(.unknownOp, "the request has no \"op\"; ops: \(Self.ops.joined(separator: ", "))")
        }
        switch op {
        case "hello":
            return .object(["server": .string("DesignGym \(DesignGym.version)"), "protocol": .string(WireProtocol.name),
                            "environments": .array(served.map(JSONValue.string)),
                            "agents": .array(registry.agents.map { .string($0.id) }), "logging": .bool(settings.store != nil)])
        case "ping":
            // With a session, whether it is still open here: a client waiting on a long evaluation learns
            // that a restarted server has lost it, rather than waiting for a reply that will not come.
            guard case .string(let key)? = fields["session"] else { return .object(["pong": .bool(true)]) }
            lock.lock()
            let known = sessions[key] != nil
            lock.unlock()
            return .object(["pong": .bool(true), "session": .string(known ? "open" : "unknown")])
        case "status":
            lock.lock()
            let open = sessions.values.filter { $0.study == nil }.count, studies = sessions.count - open
            lock.unlock()
            var result: [String: JSONValue] = ["server": .string("DesignGym \(DesignGym.version)"), "sessions": .number(Double(open)),
                                               "studies": .number(Double(studies)), "environments": .array(served.map(JSONValue.string))]
            if let pool = statusReport?() { result["pool"] = .object(pool) }
            return .object(result)
        case "describe":
            return WireJSON.value(try makeEnvironment(request).spec)
        case "open":
            return try open(request)
        case "reset":
            return try reset(request)
        case "step":
            let design = try designArgument(fields["design"], name: "design")
            return try withSession(request) { session in try step(session, design) }
        case "evaluate":
            guard case .array(let items)? = fields["designs"] else {
                throw ProtocolError(.badRequest, "\"evaluate\" needs \"designs\": a list of design objects")
            }
            let designs = try items.map { try designArgument($0, name: "designs[]") }
            return try withSession(request) { session in try evaluate(session, designs) }
        case "open_study":
            return try openStudy(request)
        case "suggest":
            return try withStudy(request) { session, study in try suggest(request, session, study) }
        case "observe":
            return try withStudy(request) { session, study in try observe(request, study) }
        case "close":
            return try close(request)
        default:
            throw ProtocolError(.unknownOp, "unknown op \"\(op)\"; ops: \(Self.ops.joined(separator: ", "))",
                                details: ["op": .string(op)])
        }
    }

    /// Registers a new session or study under a fresh key ("s1", "t2", …), within the limit.
    func register(_ session: Session, prefix: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        guard !shutDown else { throw ProtocolError(.serverBusy, "the server is stopping") }
        guard sessions.count < sessionLimit else {
            throw ProtocolError(.serverBusy, "the server has \(sessionLimit) open sessions and studies; close one or try again later")
        }
        opened += 1
        let key = "\(prefix)\(opened)"
        sessions[key] = session
        return key
    }

    private func close(_ request: Request) throws -> JSONValue {
        let key: String
        if case .string(let study)? = request.fields["study"] { key = study } else { key = try sessionID(request) }
        lock.lock()
        let removed = sessions.removeValue(forKey: key)
        lock.unlock()
        guard let removed else {
            throw request.fields["study"] != nil ? unknownStudy(key) : unknownSession(key)
        }
        // Wait for requests still queued on it, then end its experiment.
        removed.queue.sync {}
        if let study = removed.study {
            let spent = study.log.record.budgetEvaluations.map { study.observedCount >= $0 } ?? true
            study.log.finish(spent ? .completed : .interrupted)
        } else {
            removed.log?.finish(.completed)
        }
        return .object([:])
    }

    /// Runs `body` under the server's evaluation time limit.
    func limited<T>(_ body: () throws -> T) rethrows -> T {
        try EvaluationDeadline.with(settings.evaluationTimeout.map { EvaluationDeadline(seconds: $0) }, body)
    }

    /// Waits for `log` to commit what it was given, turning a write failure into `store_failed`.
    func committed(_ log: ExperimentLog?) throws {
        guard let log else { return }
        do {
            try log.flush()
        } catch {
            throw ProtocolError(.storeFailed, "the server could not store the result, so it is not recorded: \(error)")
        }
    }

    static func encode(_ evaluation: Evaluation, reward: Double?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "status": .string(evaluation.status.rawValue),
            "metrics": .object(evaluation.metrics.mapValues(JSONValue.number)),
            "reward": reward.map(JSONValue.number) ?? .null,
            "wall_time": .number(evaluation.wallTime),
        ]
        if let message = evaluation.message { fields["message"] = .string(message) }
        if !evaluation.details.isEmpty { fields["details"] = .object(evaluation.details) }
        return .object(fields)
    }

    func validated(_ design: Design, _ space: ParameterSpace, index: Int?) throws -> Design {
        do {
            return try space.validate(design)
        } catch let error as DesignError {
            var details: [String: JSONValue] = [:]
            if let parameter = error.parameter { details["parameter"] = .string(parameter) }
            if let index { details["index"] = .number(Double(index)) }
            throw ProtocolError(.invalidDesign, error.description, details: details)
        }
    }

    // MARK: - Environments

    /// The environment a request names, made with the options it gives after the server's rules admit
    /// them, under the evaluation time limit (making one may simulate, as Accelerator-v0's baseline does).
    func makeEnvironment(_ request: Request) throws -> any Environment {
        let (id, options) = try environmentArguments(request)
        return try makeLimited(id, options: options)
    }

    /// The served environment id and the admitted options a request gives.
    func environmentArguments(_ request: Request) throws -> (String, EnvironmentOptions) {
        let fields = request.fields
        guard case .string(let id)? = fields["environment"] else {
            throw ProtocolError(.badRequest, "this op needs \"environment\": one of \(served.joined(separator: ", "))")
        }
        guard served.contains(id) else {
            throw ProtocolError(.unknownEnvironment, "unknown environment \"\(id)\"; this server serves: \(served.joined(separator: ", "))",
                                details: ["environment": .string(id)])
        }
        var options = EnvironmentOptions(seed: try seedArgument(request) ?? 0)
        switch fields["workload"] {
        case nil, .null?: break
        case .string(let workload)?: options.workload = workload
        default: throw ProtocolError(.badRequest, "\"workload\" is a string: one of the environment's workloads (see \"describe\")")
        }
        switch fields["options"] {
        case nil, .null?:
            break
        case .object(let values)?:
            for (key, value) in values {
                switch value {
                case .string(let text): options.values[key] = text
                case .number(let number): options.values[key] = number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
                case .bool(let flag): options.values[key] = flag ? "true" : "false"
                default: throw ProtocolError(.badRequest, "option \"\(key)\" must be a string, number or boolean")
                }
            }
        default:
            throw ProtocolError(.badRequest, "\"options\" is an object of option values, such as {\"requests\": 1000}")
        }
        return (id, try settings.files.admit(options, spec: try baseSpec(id)))
    }

    /// The spec of `id` with default options, which lists its workloads and its options' kinds.
    private func baseSpec(_ id: String) throws -> EnvironmentSpec {
        lock.lock()
        if let spec = baseSpecs[id] {
            lock.unlock()
            return spec
        }
        lock.unlock()
        let spec = try makeLimited(id, options: EnvironmentOptions()).spec
        lock.lock()
        baseSpecs[id] = spec
        lock.unlock()
        return spec
    }

    func makeLimited(_ id: String, options: EnvironmentOptions) throws -> any Environment {
        do {
            return try limited { try registry.makeEnvironment(id, options: options) }
        } catch let error as EvaluationTimedOut {
            throw ProtocolError(.timeout, "making \(id) took longer than the server's time limit of \(Parameter.numberText(error.seconds)) s")
        } catch let error as ProtocolError {
            throw error
        } catch let error as EnvironmentError {
            // The details name what was refused, so a client can tell a workload from an option.
            let details: [String: JSONValue]
            switch error {
            case .unknownWorkload(let name, _, _): details = ["workload": .string(name)]
            case .unknownOption(let key, _, _), .invalidOption(let key, _, _): details = ["option": .string(key)]
            }
            throw ProtocolError(.invalidOption, error.description, details: details)
        } catch {
            throw ProtocolError(.invalidOption, String(describing: error))
        }
    }
}
