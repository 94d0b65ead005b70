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

    /// Sends `op` with `arguments` and returns the reply's result; an error reply throws `ProtocolError`,
    /// no reply in time throws `ProtocolError(.timeout)`.
    public func request(_ op: String, _ arguments: [String: JSONValue] = [:], timeout: Double? = nil) throws -> JSONValue {
        let timeout = timeout ?? self.timeout
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        let id = JSONValue.number(Double(nextID))
        var message = arguments
        message["protocol"] = .string(WireProtocol.name)
        message["op"] = .string(op)
        message["id"] = id
        try socket.send([WireJSON.encode(JSONValue.object(message))])
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, let frames = try socket.receive(timeout: Int(remaining * 1000) + 1) else {
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
