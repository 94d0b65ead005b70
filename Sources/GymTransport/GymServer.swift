import CZeroMQ
import Foundation

/// Serves a `SessionService` on a ZeroMQ ROUTER socket.
///
/// The socket lives on the server's own thread. Requests that cannot take long (`hello`, `ping`, errors,
/// a `reset`) are answered right there; every request that evaluates or makes an environment runs on
/// another thread (one session's requests in order) and its reply returns to the socket thread through an
/// outbox and a wake-up pipe, so a slow or runaway evaluation never holds up other clients. DEALER and REQ
/// clients both work: a reply carries the request's envelope back.
public final class GymServer: @unchecked Sendable {
    /// The service answering requests.
    public let service: SessionService
    private let requestedEndpoint: String
    private let lock = NSLock()
    private var outbox: [[Data]] = []
    private var stopping = false
    private let thread: SocketThread
    private let curve: Curve.Server?

    /// A server for `service` on `endpoint`. Only loopback, `ipc://` and `inproc://` endpoints are allowed
    /// unless `allowRemote`.
    public init(service: SessionService, endpoint: String, allowRemote: Bool = false, curve: Curve.Server? = nil) throws {
        if curve != nil { try Curve.requireAvailable() }
        self.curve = curve
        guard allowRemote || Self.isLocal(endpoint) else {
            throw ProtocolError(.badRequest, "\(endpoint) is reachable from other machines; bind to tcp://127.0.0.1:PORT, or pass --allow-remote to serve the network")
        }
        self.service = service
        self.requestedEndpoint = endpoint
        thread = try SocketThread(name: "designgym.server")
    }

    /// Whether an endpoint is reachable only from this machine.
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("inproc://") || endpoint.hasPrefix("ipc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = String(endpoint.dropFirst("tcp://".count))
        if let colon = host.range(of: ":", options: .backwards) { host = String(host[..<colon.lowerBound]) }
        return host.hasPrefix("127.") || host == "localhost" || host == "[::1]" || host == "::1"
    }

    /// Binds and starts serving on a thread of its own; returns the endpoint actually bound.
    @discardableResult
    public func start() throws -> String {
        // A hard limit far above the service's soft one: larger frames drop the connection.
        try thread.startRouter(endpoint: requestedEndpoint, maximumMessage: service.messageLimit * 4 + 1024, curve: curve) { [self] socket in
            serve(socket, wake: thread.wake)
        }
    }

    /// Stops serving and waits for the socket thread to finish.
    public func stop() {
        lock.lock()
        let wasStopping = stopping
        stopping = true
        lock.unlock()
        if !wasStopping { thread.wakeAndWait() }
    }

    private func serve(_ socket: ZMQSocket, wake: WakePipe) {
        while true {
            lock.lock()
            let done = stopping
            let replies = outbox
            outbox.removeAll()
            lock.unlock()
            for reply in replies { try? socket.send(reply) }
            if done { return }
            guard let frames = try? socket.receive(timeout: 50, alsoWatching: wake.readEnd) else { continue }
            if frames.isEmpty {  // woken by the pipe
                wake.drain()
                continue
            }
            guard frames.count >= 2 else { continue }  // a ROUTER message always starts with the peer's identity
            // The envelope is the identity and, from a REQ client, everything up to its empty delimiter;
            // the request is the one frame after it.
            let delimiter = frames.lastIndex(where: \.isEmpty).map { $0 + 1 } ?? 1
            let envelope = Array(frames[..<max(1, delimiter)])
            let body = frames[max(1, delimiter)...]
            guard body.count == 1, let frame = body.first else {
                let error = ProtocolError(.badRequest, "a request is exactly one frame (after a REQ client's empty delimiter); this message has \(body.count)",
                                          details: ["frames": .number(Double(body.count))])
                try? socket.send(envelope + [SessionService.reply(idText: Data("null".utf8), error: error)])
                continue
            }
            switch service.dispatch(frame) {
            case .now(let reply):
                try? socket.send(envelope + [reply])
            case .later(let queue, let work):
                queue.async {
                    let reply = work()
                    self.lock.lock()
                    self.outbox.append(envelope + [reply])
                    self.lock.unlock()
                    wake.wake()
                }
            }
        }
    }
}

extension ZMQSocket {
    /// Waits for a message or for `fd` to become readable: the message's frames, [] when only `fd` is
    /// ready, nil on timeout.
    func receive(timeout: Int, alsoWatching fd: Int32) throws -> [Data]? {
        var items = [
            zmq_pollitem_t(socket: rawHandle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        let ready = zmq_poll(&items, 2, timeout)
        guard ready > 0 else { return nil }
        if items[0].revents & Int16(ZMQ_POLLIN) != 0 { return try receive(timeout: 0) }
        return []
    }
}
