import Foundation
import GymCore

/// The protocol's semantics without any socket: turns one request into one reply. The server runs it
/// behind a ROUTER socket; tests and in-process clients call it directly (its in-memory twin).
///
/// Thread-safe: requests for different sessions run concurrently, requests for one session in order.
/// What a client may reach is decided here, by the server's operator: the environments served, the files
/// inside the folder `settings.files` allows, and nothing else; every evaluation and every environment
/// made for a client runs under `settings.evaluationTimeout`.
public final class SessionService: @unchecked Sendable {
    /// What the server's operator allows its clients.
    public struct Settings: Sendable {
        /// The largest request accepted, in bytes.
        public var messageLimit: Int
        /// The most sessions open at once.
        public var sessionLimit: Int
        /// Seconds one evaluation, or making one environment, may take (nil: no limit).
        public var evaluationTimeout: Double?
        /// The files clients may name.
        public var files: FileAccess

        /// The limits a server starts with unless told otherwise.
        public static let defaultTimeout = 600.0

        /// Creates settings.
        public init(messageLimit: Int = WireProtocol.defaultMessageLimit, sessionLimit: Int = 1024,
                    evaluationTimeout: Double? = Settings.defaultTimeout, files: FileAccess = .none) {
            self.messageLimit = messageLimit
            self.sessionLimit = sessionLimit
            self.evaluationTimeout = evaluationTimeout
            self.files = files
        }
    }

    /// The environments served, by id.
    public let registry: Registry
    /// The ids clients may open; all registered ones when empty.
    public let served: [String]
    /// What clients may reach.
    public let settings: Settings
    /// The largest request accepted, in bytes.
    public var messageLimit: Int { settings.messageLimit }
    /// The most sessions open at once.
    public var sessionLimit: Int { settings.sessionLimit }

    final class Session: @unchecked Sendable {
        let lock = NSLock()
        var episode: Episode
        /// Runs the session's requests one at a time, in the order they arrived.
        let queue: DispatchQueue
        /// Requests handed to the queue and not finished (guarded by the service's lock).
        var inFlight = 0
        init(episode: Episode, key: String) {
            self.episode = episode
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

    /// A queue of its own for one request that makes an environment (`describe`, `open`). Serial queues
    /// run on threads the system adds as needed, so requests that compute for long never hold up others
    /// (a shared concurrent queue would stop at one thread per core).
    private static func requestQueue() -> DispatchQueue { DispatchQueue(label: "designgym.server.request") }

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
        case "hello", "ping":
            return .now(handle(request))
        case "step", "reset", "evaluate":
            guard case .string(let key)? = request.fields["session"] else { return .now(handle(request)) }
            lock.lock()
            guard let session = sessions[key] else {
                lock.unlock()
                return .now(handle(request))
            }
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
                    lock.unlock()
                }
                return handle(request)
            }
        default:
            return .later(Self.requestQueue()) { [self] in handle(request) }
        }
    }

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var opened = 0
    private var baseSpecs: [String: EnvironmentSpec] = [:]

    /// Creates a service over `registry`, serving `environments` (all registered ones when empty).
    public init(registry: Registry, environments: [String] = [], settings: Settings = Settings()) {
        self.registry = registry
        self.served = environments.isEmpty ? registry.environments.map(\.id) : environments
        self.settings = settings
    }

    /// Creates a service with a message and session limit and the other settings at their defaults.
    public convenience init(registry: Registry, environments: [String] = [], messageLimit: Int, sessionLimit: Int = 1024) {
        self.init(registry: registry, environments: environments, settings: Settings(messageLimit: messageLimit, sessionLimit: sessionLimit))
    }

    /// The number of open sessions.
    public var sessionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions.count
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
                            "environments": .array(served.map(JSONValue.string))])
        case "ping":
            return .object(["pong": .bool(true)])
        case "describe":
            return WireJSON.value(try makeEnvironment(request).spec)
        case "open":
            return try open(request)
        case "reset":
            let seed = try seedArgument(request)
            return try withSession(request) { session in
                .object(["observation": .array(session.episode.reset(seed: seed).map(JSONValue.number))])
            }
        case "step":
            let design = try designArgument(fields["design"], name: "design")
            return try withSession(request) { session in try step(session, design) }
        case "evaluate":
            guard case .array(let items)? = fields["designs"] else {
                throw ProtocolError(.badRequest, "\"evaluate\" needs \"designs\": a list of design objects")
            }
            let designs = try items.map { try designArgument($0, name: "designs[]") }
            return try withSession(request) { session in try evaluate(session, designs) }
        case "close":
            let key = try sessionID(request)
            lock.lock()
            let removed = sessions.removeValue(forKey: key)
            lock.unlock()
            guard removed != nil else { throw unknownSession(key) }
            return .object([:])
        default:
            throw ProtocolError(.unknownOp, "unknown op \"\(op)\"; ops: \(Self.ops.joined(separator: ", "))",
                                details: ["op": .string(op)])
        }
    }

    static let ops = ["hello", "describe", "open", "reset", "step", "evaluate", "close", "ping"]

    private func open(_ request: Request) throws -> JSONValue {
        let environment = try makeEnvironment(request)
        var objective = environment.spec.defaultObjective
        switch request.fields["objective"] {
        case nil, .null?:
            break
        case .string(let text)?:
            objective = try readObjective { try Objective.parse(text) }
        case .object(let fields)?:
            objective = try readObjective { try WireJSON.decode(Objective.self, .object(fields)) }
        default:
            throw ProtocolError(.invalidObjective, "\"objective\" is a compact string such as \"latency:min\" or a JSON object")
        }
        objective = try readObjective { try objective.resolved(against: environment.spec.metrics) }
        var length = 1
        if let value = request.fields["episode_length"], value != .null {
            guard case .number(let number) = value, number >= 1, number == number.rounded(), number <= 1_000_000 else {
                throw ProtocolError(.badRequest, "\"episode_length\" is a whole number from 1 to 1000000")
            }
            length = Int(number)
        }
        lock.lock()
        defer { lock.unlock() }
        guard sessions.count < sessionLimit else {
            throw ProtocolError(.serverBusy, "the server has \(sessionLimit) open sessions; close one or try again later")
        }
        opened += 1
        let key = "s\(opened)"
        sessions[key] = Session(episode: Episode(environment: environment, objective: objective, length: length), key: key)
        return .object(["session": .string(key), "objective": .string(objective.description),
                        "episode_length": .number(Double(length))])
    }

    private func readObjective(_ body: () throws -> Objective) throws -> Objective {
        do {
            return try body()
        } catch let error as ObjectiveError {
            throw ProtocolError(.invalidObjective, error.description)
        } catch {
            throw ProtocolError(.invalidObjective, "cannot read the objective: \(error)")
        }
    }

    /// Runs `body` under the server's evaluation time limit.
    private func limited<T>(_ body: () throws -> T) rethrows -> T {
        try EvaluationDeadline.with(settings.evaluationTimeout.map { EvaluationDeadline(seconds: $0) }, body)
    }

    private func step(_ session: Session, _ design: Design) throws -> JSONValue {
        let canonical = try validated(design, session.episode.environment.spec.space, index: nil)
        do {
            let step = try limited { try session.episode.step(canonical) }
            var result = Self.encode(step.evaluation, reward: step.reward)
            if case .object(var fields) = result {
                fields["observation"] = .array(step.observation.map(JSONValue.number))
                fields["terminated"] = .bool(step.terminated)
                fields["truncated"] = .bool(step.truncated)
                result = .object(fields)
            }
            return result
        } catch is EpisodeError {
            throw ProtocolError(.needsReset, "the episode has ended (or never started): send \"reset\" first")
        }
    }

    private func evaluate(_ session: Session, _ designs: [Design]) throws -> JSONValue {
        let episode = session.episode
        let space = episode.environment.spec.space
        let canonical = try designs.enumerated().map { try validated($0.element, space, index: $0.offset) }
        let environment = episode.environment
        let timeout = settings.evaluationTimeout
        var evaluations: [Evaluation]
        if environment is any ConcurrentlyEvaluable && canonical.count > 1 {
            // Evaluations run elsewhere (on a broker's workers): keep them all in flight at once, on threads
            // of their own (each waits on a worker, and a blocked shared pool grows slowly).
            let slots = Slots<Evaluation>(count: canonical.count)
            let done = DispatchSemaphore(value: 0)
            for index in canonical.indices {
                Thread {
                    slots.set(index, environment.measure(canonical[index], timeLimit: timeout))
                    done.signal()
                }.start()
            }
            for _ in canonical.indices { done.wait() }
            evaluations = slots.values.map { $0! }
        } else {
            evaluations = canonical.map { environment.measure($0, timeLimit: timeout) }
        }
        return .object(["evaluations": .array(evaluations.map { Self.encode($0, reward: episode.objective.reward(for: $0)) })])
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

    private func validated(_ design: Design, _ space: ParameterSpace, index: Int?) throws -> Design {
        do {
            return try space.validate(design)
        } catch let error as DesignError {
            var details: [String: JSONValue] = [:]
            if let parameter = error.parameter { details["parameter"] = .string(parameter) }
            if let index { details["index"] = .number(Double(index)) }
            throw ProtocolError(.invalidDesign, error.description, details: details)
        }
    }

    // MARK: - Arguments

    /// The environment a request names, made with the options it gives after the server's rules admit
    /// them, under the evaluation time limit (making one may simulate, as Accelerator-v0's baseline does).
    private func makeEnvironment(_ request: Request) throws -> any Environment {
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
        let admitted = try settings.files.admit(options, spec: try baseSpec(id))
        return try makeLimited(id, options: admitted)
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

    private func makeLimited(_ id: String, options: EnvironmentOptions) throws -> any Environment {
        do {
            return try limited { try registry.makeEnvironment(id, options: options) }
        } catch let error as EvaluationTimedOut {
            throw ProtocolError(.timeout, "making \(id) took longer than the server's time limit of \(Parameter.numberText(error.seconds)) s")
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError(.invalidOption, String(describing: error))
        }
    }

    /// The optional `seed`: a decimal string of any 64-bit seed, or a JSON whole number up to 2^53 (read
    /// from its text, so a larger one is refused rather than rounded).
    private func seedArgument(_ request: Request) throws -> UInt64? {
        guard let value = request.fields["seed"], value != .null else { return nil }
        if case .string(let text) = value, let seed = UInt64(text) { return seed }
        let limit: UInt64 = 1 << 53
        if case .number = value, let text = request.text["seed"].map({ String(decoding: $0, as: UTF8.self) }),
           let seed = UInt64(text), seed <= limit {
            return seed
        }
        throw ProtocolError(.badRequest, "\"seed\" is a whole number from 0 to 2^53 (\(limit)), or a decimal string of any 64-bit seed such as \"18446744073709551615\"")
    }

    private func sessionID(_ request: Request) throws -> String {
        guard case .string(let key)? = request.fields["session"] else {
            throw ProtocolError(.badRequest, "this op needs \"session\": the id \"open\" returned")
        }
        return key
    }

    private func unknownSession(_ key: String) -> ProtocolError {
        ProtocolError(.unknownSession, "no open session \"\(key)\"; \"open\" one first", details: ["session": .string(key)])
    }

    private func withSession<T>(_ request: Request, _ body: (Session) throws -> T) throws -> T {
        let key = try sessionID(request)
        lock.lock()
        let session = sessions[key]
        lock.unlock()
        guard let session else { throw unknownSession(key) }
        session.lock.lock()
        defer { session.lock.unlock() }
        return try body(session)
    }

    private func designArgument(_ value: JSONValue?, name: String) throws -> Design {
        guard case .object(let fields)? = value else {
            throw ProtocolError(.badRequest, "\"\(name)\" must be a JSON object of parameter values")
        }
        var values: [String: ParameterValue] = [:]
        for (key, field) in fields {
            switch field {
            case .string(let text): values[key] = .string(text)
            case .bool(let flag): values[key] = .string(flag ? "true" : "false")
            case .number(let number):
                values[key] = number == number.rounded() && abs(number) < 9e15 ? .int(Int(number)) : .double(number)
            default:
                throw ProtocolError(.invalidDesign, "parameter '\(key)' must be a string or a number", details: ["parameter": .string(key)])
            }
        }
        return Design(values)
    }
}
