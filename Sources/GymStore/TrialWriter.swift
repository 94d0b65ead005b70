import Foundation
import GRDB
import GymCore

/// Writes trials, checkpoints and cache entries on a background thread, batching whatever has queued up
/// into one transaction, so evaluations never wait for the disk. One writer serves one experiment (`gym
/// run`) or many (a server's sessions and studies), each item naming its experiment.
///
/// A trial counts as *reported* when `onCommit` has been called for it: by then it is in the database
/// and survives the process being killed.
public final class TrialWriter: @unchecked Sendable {
    private enum Item {
        case trials([Trial], experiment: Int64, cache: [(key: CacheKey, design: Design, evaluation: Evaluation)])
        case checkpoint(AgentCheckpoint, experiment: Int64)
    }

    private let store: TrajectoryStore
    private let experimentID: Int64
    private let onCommit: @Sendable ([Trial]) -> Void
    private let condition = NSCondition()
    private var pending: [Item] = []
    private var submitted = 0
    private var committed = 0
    private var closed = false
    private var failure: (any Error)?
    private var thread: Thread?

    /// Starts a writer whose items belong to experiment `experimentID` unless they name another (0 for a
    /// writer shared by many experiments); `onCommit` is called on the writer's thread with each batch of
    /// trials once it is committed.
    public init(store: TrajectoryStore, experimentID: Int64 = 0, onCommit: @escaping @Sendable ([Trial]) -> Void = { _ in }) {
        self.store = store
        self.experimentID = experimentID
        self.onCommit = onCommit
        // The thread holds the writer until `close()` lets it finish.
        let thread = Thread { self.run() }
        thread.name = "designgym.trial-writer"
        self.thread = thread
        thread.start()
    }

    /// Queues finished trials of `experiment` (the writer's own by default), and the cache entries of
    /// those that were simulated.
    public func submit(_ trials: [Trial], experiment: Int64? = nil, cache: [(key: CacheKey, design: Design, evaluation: Evaluation)] = []) {
        enqueue(.trials(trials, experiment: experiment ?? experimentID, cache: cache))
    }

    /// Queues an agent's checkpoint; it is written after everything queued before it.
    public func submit(_ checkpoint: AgentCheckpoint, experiment: Int64? = nil) {
        enqueue(.checkpoint(checkpoint, experiment: experiment ?? experimentID))
    }

    /// Waits until everything queued so far is committed; rethrows the first write error.
    public func flush() throws {
        condition.lock()
        defer { condition.unlock() }
        let target = submitted
        while committed < target && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    /// Throws the first write error so far, without waiting.
    public func throwIfFailed() throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
    }

    /// Flushes and stops the thread.
    public func close() throws {
        defer {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }
        try flush()
    }

    private func enqueue(_ item: Item) {
        condition.lock()
        pending.append(item)
        submitted += 1
        condition.broadcast()
        condition.unlock()
    }

    private func write(_ items: [Item]) throws -> [Trial] {
        var written: [Trial] = []
        try store.writing { db in
            for item in items {
                switch item {
                case .trials(let trials, let experiment, let cache):
                    try TrajectoryStore.insert(trials, experiment: experiment, in: db)
                    try TrajectoryStore.cache(cache, in: db)
                    written += trials
                case .checkpoint(let checkpoint, let experiment):
                    try TrajectoryStore.saveCheckpoint(checkpoint, experiment: experiment, in: db)
                }
            }
        }
        return written
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty && closed {
                condition.unlock()
                return
            }
            let batch = pending
            pending.removeAll()
            let failedBefore = failure != nil
            condition.unlock()

            // After a failed write (a full disk, say) nothing more is written: a checkpoint stored after a
            // trial that was not would let a resume skip that trial.
            var written: [Trial] = []
            if !failedBefore {
                do {
                    written = try write(batch)
                } catch {
                    // The items one transaction each, in order, up to the first that fails.
                    written = []
                    for item in batch {
                        do {
                            written += try write([item])
                        } catch {
                            condition.lock()
                            if failure == nil { failure = error }
                            condition.unlock()
                            break
                        }
                    }
                }
            }
            if !written.isEmpty { onCommit(written) }
            condition.lock()
            committed += batch.count
            condition.broadcast()
            condition.unlock()
        }
    }
}
