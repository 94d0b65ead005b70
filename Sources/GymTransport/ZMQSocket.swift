import CZeroMQ
import Foundation

/// A ZeroMQ failure, with libzmq's own explanation.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// What was being done.
    public var operation: String
    /// libzmq's errno.
    public var code: Int32
    /// "operation: explanation".
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }

    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: zmq_errno()) }
}

/// One process-wide ZeroMQ context.
enum ZMQContext {
    nonisolated(unsafe) static let shared: UnsafeMutableRawPointer = zmq_ctx_new()
}

/// A ZeroMQ socket. Not thread-safe: use it from one thread at a time (the server keeps its socket on its
/// own thread; a client guards its socket with a lock).
final class ZMQSocket {
    private let handle: UnsafeMutableRawPointer
    var rawHandle: UnsafeMutableRawPointer { handle }

    /// Creates a socket of `type` (ZMQ_ROUTER, ZMQ_DEALER, …) with linger 0 so closing never blocks.
    init(type: Int32) throws {
        guard let handle = zmq_socket(ZMQContext.shared, type) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit { zmq_close(handle) }

    func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else { throw ZMQError.last("zmq_setsockopt") }
    }

    func setLongOption(_ option: Int32, _ value: Int64) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else { throw ZMQError.last("zmq_setsockopt") }
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// The endpoint actually bound (with the port chosen for `tcp://127.0.0.1:*`).
    var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(cString: buffer)
    }

    /// Sends the frames of one multipart message.
    func send(_ frames: [Data]) throws {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let sent = frame.withUnsafeBytes { bytes in zmq_send(handle, bytes.baseAddress, frame.count, flags) }
            guard sent >= 0 else { throw ZMQError.last("zmq_send") }
        }
    }

    /// Waits up to `timeout` milliseconds (−1: forever) for a message; nil when none arrived.
    func receive(timeout: Int) throws -> [Data]? {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, timeout)
        guard ready >= 0 else {
            if zmq_errno() == EINTR { return nil }
            throw ZMQError.last("zmq_poll")
        }
        guard ready > 0 else { return nil }
        var frames: [Data] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            guard zmq_msg_recv(&message, handle, 0) >= 0 else { throw ZMQError.last("zmq_msg_recv") }
            frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
            if zmq_msg_more(&message) == 0 { break }
        }
        return frames
    }
}
