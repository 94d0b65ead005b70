import Foundation

/// The moment an evaluation must end by, set by whoever runs it (a server's `--timeout`, `gym run
/// --evaluation-timeout`) and checked by long simulations at convenient points: a simulation that
/// passes it stops with `EvaluationTimedOut`, which `measure` records as status `timeout`.
///
/// The deadline is bound to the evaluating thread for the duration of a call (a task-local value), so
/// environments need no extra parameter and evaluations without a deadline pay one load per check.
public struct EvaluationDeadline: Sendable, Hashable {
    /// When it passes, in `DispatchTime` nanoseconds.
    public var uptimeNanoseconds: UInt64
    /// The time limit it was made from, in seconds (for messages).
    public var seconds: Double

    /// A deadline `seconds` from now.
    public init(seconds: Double) {
        self.seconds = seconds
        let now = DispatchTime.now().uptimeNanoseconds
        let span = seconds >= 1e9 ? UInt64.max / 2 : UInt64(max(0, seconds) * 1e9)
        uptimeNanoseconds = now &+ span < now ? UInt64.max : now + span
    }

    @TaskLocal static var current: EvaluationDeadline?

    /// The deadline bound to this thread, if any.
    public static var active: EvaluationDeadline? { current }

    /// Runs `body` with `deadline` bound (or none), restoring the previous one afterwards.
    public static func with<T>(_ deadline: EvaluationDeadline?, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(deadline, operation: body)
    }

    /// Throws `EvaluationTimedOut` when the bound deadline has passed; returns at once when none is bound.
    @inline(__always)
    public static func check() throws {
        guard let deadline = current else { return }
        if DispatchTime.now().uptimeNanoseconds >= deadline.uptimeNanoseconds { throw EvaluationTimedOut(seconds: deadline.seconds) }
    }

    /// Seconds left before the bound deadline (nil when none is bound; never negative).
    public static var remaining: Double? {
        guard let deadline = current else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        return now >= deadline.uptimeNanoseconds ? 0 : Double(deadline.uptimeNanoseconds - now) / 1e9
    }

    /// Takes `lock`, waiting no longer than the bound deadline (for as long as it takes when none is bound);
    /// throws `EvaluationTimedOut` when the deadline passes first.
    public static func lock(_ lock: NSLock) throws {
        guard let deadline = current else {
            lock.lock()
            return
        }
        guard lock.lock(before: Date(timeIntervalSinceNow: remaining ?? 0)) else { throw EvaluationTimedOut(seconds: deadline.seconds) }
    }

    /// Sleeps for `seconds`, or until the bound deadline, whichever comes first; throws if the deadline passed.
    public static func sleep(_ seconds: Double) throws {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, min(seconds, 1e9)) * 1e9)
        while true {
            try check()
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < end else { return }
            Thread.sleep(forTimeInterval: min(Double(end - now) / 1e9, remaining ?? .infinity, 0.05))
        }
    }
}

/// An evaluation stopped because it ran past its deadline.
public struct EvaluationTimedOut: Error, Hashable, Sendable, CustomStringConvertible {
    /// The time limit, in seconds.
    public var seconds: Double
    /// Creates the error.
    public init(seconds: Double) { self.seconds = seconds }
    /// A sentence with the limit.
    public var description: String { "the evaluation ran longer than its time limit of \(Parameter.numberText(seconds)) s and was stopped" }
}
