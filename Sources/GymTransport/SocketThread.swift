import CZeroMQ
import Foundation

/// A pipe other threads write a byte to, to end a socket thread's wait early. It lives as long as anyone
/// holds it, so a late writer (an evaluation finishing after its loop returned) never writes to a closed
/// or reused descriptor.
final class WakePipe: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(operation: "pipe", code: errno) }
        readEnd = fds[0]
        writeEnd = fds[1]
        _ = fcntl(readEnd, F_SETFL, O_NONBLOCK)
        _ = fcntl(writeEnd, F_SETFL, O_NONBLOCK)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Wakes the waiting thread.
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}

/// A ZeroMQ socket served on a thread of its own (sockets are not thread-safe), with a wake pipe.
/// The owner keeps its own stop flag, which the loop checks after each wake-up.
final class SocketThread: @unchecked Sendable {
    let wake: WakePipe
    private let name: String
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(name: String) throws {
        self.name = name
        wake = try WakePipe()
    }

    /// Opens the socket on the new thread with `open` (create, configure, bind), then runs `serve` there
    /// until it returns. Returns the endpoint bound, or throws what `open` threw.
    func start(open: @escaping @Sendable () throws -> ZMQSocket, serve: @escaping @Sendable (ZMQSocket) -> Void) throws -> String {
        let bound = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let thread = Thread { [finished] in
            defer { finished.signal() }
            let socket: ZMQSocket
            do {
                socket = try open()
                outcome.result = .success(socket.lastEndpoint)
            } catch {
                outcome.result = .failure(error)
                bound.signal()
                return
            }
            bound.signal()
            serve(socket)
        }
        thread.name = name
        thread.start()
        bound.wait()
        let endpoint = try outcome.result!.get()
        running = true
        return endpoint
    }

    /// Binds a ROUTER socket on the new thread (frames above `maximumMessage` bytes drop the connection;
    /// CURVE when given) and runs `serve` on it there.
    func startRouter(endpoint: String, maximumMessage: Int, curve: Curve.Server?,
                     serve: @escaping @Sendable (ZMQSocket) -> Void) throws -> String {
        try start(open: {
            let socket = try ZMQSocket(type: ZMQ_ROUTER)
            try socket.setLongOption(ZMQ_MAXMSGSIZE, Int64(maximumMessage))
            if let curve { try socket.secure(curve) }
            try socket.bind(endpoint)
            return socket
        }, serve: serve)
    }

    /// Wakes the loop (which then sees its owner's stop flag) and waits for the thread to end.
    func wakeAndWait() {
        guard running else { return }
        wake.wake()
        finished.wait()
    }

    private final class Outcome: @unchecked Sendable {
        var result: Result<String, any Error>?
    }
}
