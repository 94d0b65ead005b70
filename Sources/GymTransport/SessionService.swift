import Foundation
import GymCore

/// The protocol's semantics without any socket: turns one request into one reply. The server runs it
/// behind a ROUTER socket; tests and in-process clients call it directly (its in-memory twin).
///
/// Thread-safe: requests for different sessions run concurrently, requests for one session in order.
public final class SessionService: @unchecked Sendable {
    /// The environments served, by id.
    public let registry: Registry
    /// The ids clients may open; all registered ones when empty.
    public let served: [String]
    /// The largest request accepted, in bytes.
    public let messageLimit: Int
    /// The most sessions open at once.
    public let sessionLimit: Int

    private final class Session: @unchecked Sendable {
        let lock = NSLock()
        var episode: Episode
        /// Requests handed to other threads and not finished (guarded by the service's lock).
        var inFlight = 0
        /// Seconds the last request took.
        var lastDuration = Double.infinity
        init(episode: Episode) { self.episode = episode }
    }

    /// How a server should handle one request frame.
    public enum Dispatch {
        /// The reply, computed at once: errors, `hello`, `ping`, and requests of sessions whose
        /// requests take under a millisecond and that have none in flight.
        case now(Data)
        /// Work to run on another thread; it returns the reply.
        case later(@Sendable () -> Data)
    }

    /// Requests of a session whose last one took less than this are answered on the server's thread.
    static let inlineLimit = 0.001

    /// Decides how to handle `frame`: quick requests are answered at once, on the caller's thread; the
    /// rest come back as work for another thread. Requests of one session keep their order either way.
    public func dispatch(_ frame: Data) -> Dispatch {
        guard frame.count <= messageLimit, let value = try? JSONValue.parse(frame), case .object(let request) = value else {
            return .now(handle(frame))
        }
        guard case .string(let op)? = request["op"] else { return .now(handle(request: request)) }
        switch op {
        case "hello", "ping":
            return .now(handle(request: request))
        case "step", "reset", "evaluate":
            guard case .string(let key)? = request["session"] else { return .now(handle(request: request)) }
            lock.lock()
            guard let session = sessions[key] else {
                lock.unlock()
                return .now(handle(request: request))
            }
            if session.inFlight == 0 && session.lastDuration < Self.inlineLimit {
                lock.unlock()
                return .now(handle(request: request))
            }
            session.inFlight += 1
            lock.unlock()
            return .later { [self] in
                defer {
                    lock.lock()
                    session.inFlight -= 1
                    lock.unlock()
                }
                return handle(request: request)
            }
        default:
            return .later { [self] in handle(request: request) }
        }
    }

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var opened = 0

    /// Creates a service over `registry`, serving `environments` (all when empty).
    public init(registry: Registry, environments: [String] = [], messageLimit: Int = WireProtocol.defaultMessageLimit,
                sessionLimit: Int = 1024) {
        self.registry = registry
        self.served = environments.isEmpty ? registry.environments.map(\.id) : environments
        self.messageLimit = messageLimit
        self.sessionLimit = sessionLimit
    }

    /// The number of open sessions.
    public var sessionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sessions.count
    }

    /// The reply to one request frame. Never throws: every failure is an error reply.
    public func handle(_ frame: Data) -> Data {
        guard frame.count <= messageLimit else {
            return reply(id: .null, error: ProtocolError(.tooLarge, "the request has \(frame.count) bytes; the limit is \(messageLimit)",
                                                          details: ["limit": .number(Double(messageLimit))]))
        }
        guard let value = try? JSONValue.parse(frame), case .object(let request) = value else {
            return reply(id: .null, error: ProtocolError(.malformedJSON, "a request is one JSON object: {\"protocol\": \"\(WireProtocol.name)\", \"id\": …, \"op\": …}"))
        }
        return handle(request: request)
    }

    private func handle(request: [String: JSONValue]) -> Data {
        let id = request["id"] ?? .null
        do {
            return reply(id: id, result: try perform(request))
        } catch let error as ProtocolError {
            return reply(id: id, error: error)
        } catch {
            return reply(id: id, error: ProtocolError(.evaluationFailed, String(describing: error)))
        }
    }

    private func reply(id: JSONValue, result: JSONValue) -> Data {
        WireJSON.encode(JSONValue.object(["id": id, "ok": .bool(true), "result": result]))
    }

    private func reply(id: JSONValue, error: ProtocolError) -> Data {
        WireJSON.encode(JSONValue.object(["id": id, "ok": .bool(false), "error": WireJSON.value(error)]))
    }

    // MARK: - Operations

    private func perform(_ request: [String: JSONValue]) throws -> JSONValue {
        guard case .string(let version)? = request["protocol"], version == WireProtocol.name else {
            throw ProtocolError(.protocolMismatch, "this server speaks \"\(WireProtocol.name)\"; put it in the request's \"protocol\" field",
                                details: ["expected": .string(WireProtocol.name)])
        }
        guard case .string(let op)? = request["op"] else {
            throw ProtocolError(.unknownOp, "the request has no \"op\"; ops: \(Self.ops.joined(separator: ", "))")
        }
        switch op {
        case "hello":
            return .object(["server": .string("DesignGym \(DesignGym.version)"), "protocol": .string(WireProtocol.name),
                            "environments": .array(served.map(JSONValue.string))])
        case "ping":
            return .object(["pong": .bool(true)])
        case "describe":
            let environment = try makeEnvironment(request)
            return WireJSON.value(environment.spec)
        case "open":
            return try open(request)
        case "reset":
            let seed = try optionalSeed(request)
            return try withSession(request) { session in
                .object(["observation": .array(session.episode.reset(seed: seed).map(JSONValue.number))])
            }
        case "step":
            let design = try designArgument(request["design"], name: "design")
            return try withSession(request) { session in try step(session, design) }
        case "evaluate":
            guard case .array(let items)? = request["designs"] else {
                throw ProtocolError(.badRequest, "\"evaluate\" needs \"designs\": a list of design objects")
            }
            let designs = try items.map { try designArgument($0, name: "designs[]") }
            return try withSession(request) { session in
                let episode = session.episode
                let space = episode.environment.spec.space
                let canonical = try designs.enumerated().map { try validated($0.element, space, index: $0.offset) }
                var evaluations = [Evaluation?](repeating: nil, count: canonical.count)
                if episode.environment is any ConcurrentlyEvaluable && canonical.count > 1 {
                    // Evaluations run elsewhere (on a broker's workers): keep them all in flight at once.
                    let slots = Slots<Evaluation>(count: canonical.count)
                    let environment = episode.environment
                    // Threads of their own: each waits on a worker, and a blocked shared pool grows slowly.
                    let done = DispatchSemaphore(value: 0)
                    for index in canonical.indices {
                        Thread {
                            slots.set(index, environment.measure(canonical[index]))
                            done.signal()
                        }.start()
                    }
                    for _ in canonical.indices { done.wait() }
                    evaluations = slots.values
                } else {
                    evaluations = canonical.map { episode.environment.measure($0) }
                }
                let results = evaluations.map { evaluation in
                    Self.encode(evaluation!, reward: episode.objective.reward(for: evaluation!))
                }
                return .object(["evaluations": .array(results)])
            }
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

    private func open(_ request: [String: JSONValue]) throws -> JSONValue {
        let environment = try makeEnvironment(request)
        var objective = environment.spec.defaultObjective
        switch request["objective"] {
        case nil, .null?:
            break
        case .string(let text)?:
            objective = try readObjective { try Objective.parse(text) }
        case .object?:
            objective = try readObjective { try WireJSON.decode(Objective.self, request["objective"]!) }
        default:
            throw ProtocolError(.invalidObjective, "\"objective\" is a compact string such as \"latency:min\" or a JSON object")
        }
        objective = try readObjective { try objective.resolved(against: environment.spec.metrics) }
        var length = 1
        if let value = request["episode_length"] {
            guard case .number(let number) = value, number >= 1, number == number.rounded(), number <= 1_000_000 else {
                throw ProtocolError(.badRequest, "\"episode_length\" is a whole number of at least 1")
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
        sessions[key] = Session(episode: Episode(environment: environment, objective: objective, length: length))
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

    private func step(_ session: Session, _ design: Design) throws -> JSONValue {
        let canonical = try validated(design, session.episode.environment.spec.space, index: nil)
        do {
            let step = try session.episode.step(canonical)
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

    private func makeEnvironment(_ request: [String: JSONValue]) throws -> any Environment {
        guard case .string(let id)? = request["environment"] else {
            throw ProtocolError(.badRequest, "this op needs \"environment\": one of \(served.joined(separator: ", "))")
        }
        guard served.contains(id) else {
            throw ProtocolError(.unknownEnvironment, "unknown environment \"\(id)\"; this server serves: \(served.joined(separator: ", "))",
                                details: ["environment": .string(id)])
        }
        var options = EnvironmentOptions(seed: try optionalSeed(request) ?? 0)
        if case .string(let workload)? = request["workload"] { options.workload = workload }
        if case .object(let values)? = request["options"] {
            for (key, value) in values {
                switch value {
                case .string(let text): options.values[key] = text
                case .number(let number): options.values[key] = number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
                case .bool(let flag): options.values[key] = flag ? "true" : "false"
                default: throw ProtocolError(.badRequest, "option \"\(key)\" must be a string, number or boolean")
                }
            }
        }
        do {
            return try registry.makeEnvironment(id, options: options)
        } catch let error as EnvironmentError {
            throw ProtocolError(.invalidOption, error.description)
        }
    }

    private func optionalSeed(_ request: [String: JSONValue]) throws -> UInt64? {
        guard let value = request["seed"], value != .null else { return nil }
        // JSON numbers are exact only up to 2^53: full 64-bit seeds travel as decimal strings.
        if case .string(let text) = value, let seed = UInt64(text) { return seed }
        guard case .number(let number) = value, number >= 0, number == number.rounded(), number <= 9.007199254740992e15 else {
            throw ProtocolError(.badRequest, "\"seed\" is a whole number from 0 to 2^53, or a decimal string of any 64-bit seed")
        }
        return UInt64(number)
    }

    private func sessionID(_ request: [String: JSONValue]) throws -> String {
        guard case .string(let key)? = request["session"] else {
            throw ProtocolError(.badRequest, "this op needs \"session\": the id \"open\" returned")
        }
        return key
    }

    private func unknownSession(_ key: String) -> ProtocolError {
        ProtocolError(.unknownSession, "no open session \"\(key)\"; \"open\" one first", details: ["session": .string(key)])
    }

    private func withSession<T>(_ request: [String: JSONValue], _ body: (Session) throws -> T) throws -> T {
        let key = try sessionID(request)
        lock.lock()
        let session = sessions[key]
        lock.unlock()
        guard let session else { throw unknownSession(key) }
        session.lock.lock()
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            session.lastDuration = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            session.lock.unlock()
        }
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
