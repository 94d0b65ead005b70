import Foundation

/// One result slot per index, written from concurrent work: each task fills its own slot, and the
/// values are read once every task has ended.
public final class Slots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    public init(count: Int) { storage = Array(repeating: nil, count: count) }

    public func set(_ index: Int, _ value: Value) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    /// The slots, in index order (nil where nothing was written).
    public var values: [Value?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
