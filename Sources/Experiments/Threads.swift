import Foundation

/// Work spread over threads of its own, as many as asked for whatever the machine's core count.
///
/// `DispatchQueue.concurrentPerform` runs at most as many iterations at once as there are cores, which is
/// right for computing but wrong for waiting: evaluations on a broker's workers spend their time blocked on
/// a socket, and a 2-core coordinator must still keep 16 of them in flight.
enum Threads {
    /// Runs `body(thread, index)` for every index below `count` on `threads` threads, each taking the next
    /// index when it is free; returns when all are done. `thread` (0 ..< threads) names the thread, so it
    /// can use resources of its own.
    static func run(_ count: Int, threads: Int, _ body: @escaping @Sendable (_ thread: Int, _ index: Int) -> Void) {
        guard count > 0 else { return }
        let threads = max(1, min(threads, count))
        if threads == 1 {
            for index in 0..<count { body(0, index) }
            return
        }
        final class Queue: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            func take(below count: Int) -> Int? {
                lock.lock()
                defer { lock.unlock() }
                guard next < count else { return nil }
                next += 1
                return next - 1
            }
        }
        let queue = Queue()
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            let worker = Thread {
                while let index = queue.take(below: count) { body(thread, index) }
                group.leave()
            }
            // Evaluations deep in a simulator need more than a secondary thread's default 512 KiB of stack.
            worker.stackSize = 8 << 20
            worker.start()
        }
        group.wait()
    }
}
