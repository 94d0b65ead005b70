import CZeroMQ
import Foundation
import GymCore

/// A client of a DesignGym server: sends one request at a time and waits for its reply.
///
/// Its DEALER socket is guarded by a lock, so an instance may be shared between threads (one request at
/// a time). A reply that arrives after its request timed out is recognised by its id and dropped.
public final class GymClient: @unchecked Sendable {
    /// The server's endpoint.
    public let endpoint: String
    /// Seconds to wait for each reply.
    public let timeout: Double
    private let lock = NSLock()
    private let socket: ZMQSocket
    private var nextID = 0

    /// Connects to `endpoint` (the connection is made in the background; requests wait for it).
    public init(endpoint: String, timeout: Double = 60, curve: Curve.Client? = nil) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        socket = try ZMQSocket(type: ZMQ_DEALER)
        if let curve { try socket.secure(curve) }
        try socket.connect(endpoint)
    }

    /// Seconds a client waits for a server to answer its first request, by default: long enough for a busy
    /// server, short enough that an endpoint with nothing behind it is reported at once.
    public static let defaultConnectTimeout = 10.0

    /// Checks that a DesignGym server answers at the endpoint: sends `hello` and waits at most `timeout`
    /// seconds, giving up early when `ClientInterruption` is requested (Ctrl-C). Returns the served ids.
    @discardableResult
    public func handshake(timeout: Double = GymClient.defaultConnectTimeout) throws -> [String] {
        let result: JSONValue
        do {
            result = try request("hello", timeout: timeout, interruptible: true)
        } catch let error as ProtocolError where error.code == .timeout {
            throw ProtocolError(.timeout, "no DesignGym server answered at \(endpoint) within \(Parameter.numberText(timeout)) s; is `gym serve` (or `gym broker`) running there, and is the endpoint right? (the wait is set with --connect-timeout)")
        }
        guard case .object(let fields) = result, case .array(let ids)? = fields["environments"] else { return [] }
        return ids.compactMap { if case .string(let id) = $0 { return id } else { return nil } }
    }

    /// Sends `op` with `arguments` and returns the reply's result; an error reply throws `ProtocolError`,
    /// no reply in time throws `ProtocolError(.timeout)`.
    public func request(_ op: String, _ arguments: [String: JSONValue] = [:], timeout: Double? = nil) throws -> JSONValue {
        try request(op, arguments, timeout: timeout, interruptible: false)
    }

    /// Sends `op` and waits for its reply for as long as the server shows signs of life: every
    /// `probeInterval` seconds it sends `ping` (with `session`, when given, so the server says whether it
    /// still has the session), and it gives up with `ProtocolError(.timeout)` only after `silence` seconds
    /// with no reply to anything. A server that answers but no longer knows the session (a broker that
    /// restarted, its queued work gone) makes it throw `ProtocolError(.unknownSession)` at once: the request
    /// was lost with it.
    public func request(_ op: String, _ arguments: [String: JSONValue], session: String?, probeInterval: Double,
                        silence: Double) throws -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let id = try send(op, arguments)
        var probes: Set<JSONValue> = []
        var lastHeard = Date(), nextProbe = Date().addingTimeInterval(probeInterval)
        while true {
            let wait = min(nextProbe.timeIntervalSinceNow, lastHeard.addingTimeInterval(silence).timeIntervalSinceNow)
            if let frames = try socket.receive(timeout: max(1, Int(wait * 1000) + 1)),
               let frame = frames.last, case .object(let reply)? = try? JSONValue.parse(frame), let replyID = reply["id"] {
                if replyID == id {
                    if reply["ok"] == .bool(true) { return reply["result"] ?? .null }
                    if let error = reply["error"], let decoded = try? WireJSON.decode(ProtocolError.self, error) { throw decoded }
                    throw ProtocolError(.evaluationFailed, "the server sent an error reply without a readable error")
                }
                if probes.contains(replyID) {
                    lastHeard = Date()
                    if case .object(let result)? = reply["result"], result["session"] == .string("unknown") {
                        throw ProtocolError(.unknownSession, "\(endpoint) answers but no longer has this session (it restarted?); the \"\(op)\" in flight was lost with it")
                    }
                }
                continue
            }
            if lastHeard.addingTimeInterval(silence).timeIntervalSinceNow <= 0 {
                throw ProtocolError(.timeout, "no reply from \(endpoint) to \"\(op)\", nor to pings, for \(Parameter.numberText(silence)) s")
            }
            if nextProbe.timeIntervalSinceNow <= 0 {
                probes.insert(try send("ping", session.map { ["session": .string($0)] } ?? [:]))
                nextProbe = Date().addingTimeInterval(probeInterval)
            }
        }
    }

    /// Sends `frame` as it is, which need not be a valid request, and returns the next reply frame as it
    /// came, whatever its id: for checking how a server answers what it should refuse.
    public func exchange(rawFrame frame: Data, timeout: Double? = nil) throws -> Data {
        let timeout = timeout ?? self.timeout
        lock.lock()
        defer { lock.unlock() }
        try socket.send([frame])
        let deadline = Date().addingTimeInterval(timeout)
        while deadline.timeIntervalSinceNow > 0 {
            guard let frames = try socket.receive(timeout: Int(deadline.timeIntervalSinceNow * 1000) + 1) else { continue }
            if let last = frames.last { return last }
        }
        throw ProtocolError(.timeout, "no reply from \(endpoint) within \(Parameter.numberText(timeout)) s")
    }

    /// Sends a request with the next id and returns the id; the caller holds the lock.
    private func send(_ op: String, _ arguments: [String: JSONValue]) throws -> JSONValue {
        nextID += 1
        let id = JSONValue.number(Double(nextID))
        var message = arguments
        message["protocol"] = .string(WireProtocol.name)
        message["op"] = .string(op)
        message["id"] = id
        try socket.send([WireJSON.encode(JSONValue.object(message))])
        return id
    }

    private func request(_ op: String, _ arguments: [String: JSONValue] = [:], timeout: Double?, interruptible: Bool) throws -> JSONValue {
        let timeout = timeout ?? self.timeout
        lock.lock()
        defer { lock.unlock() }
        let id = try send(op, arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if interruptible && ClientInterruption.isRequested {
                throw ProtocolError(.timeout, "interrupted while waiting for \(endpoint) to answer \"\(op)\"")
            }
            let remaining = deadline.timeIntervalSinceNow
            let slice = interruptible ? min(remaining, 0.1) : remaining
            guard remaining > 0, let frames = try socket.receive(timeout: Int(slice * 1000) + 1) else {
                if deadline.timeIntervalSinceNow > 0 { continue }
                throw ProtocolError(.timeout, "no reply from \(endpoint) to \"\(op)\" within \(timeout) s; is `gym serve` running there?")
            }
            guard let frame = frames.last, case .object(let reply)? = try? JSONValue.parse(frame),
                  reply["id"] == id else { continue }
            if reply["ok"] == .bool(true) { return reply["result"] ?? .null }
            if let error = reply["error"], let decoded = try? WireJSON.decode(ProtocolError.self, error) { throw decoded }
            throw ProtocolError(.evaluationFailed, "the server sent an error reply without a readable error")
        }
    }
}

/// A process-wide request to stop waiting for servers, set on Ctrl-C or SIGTERM: a client's first wait
/// (its handshake) ends at once. Waits for evaluations already running are not cut short; they finish
/// their batch, so no result is lost.
public enum ClientInterruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var requested = false

    /// Asks every handshake in this process to give up.
    public static func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// Whether an interruption was requested.
    public static var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}
