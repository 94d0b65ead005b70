import Foundation
import LinearAlgebra

/// Arrays one thread reuses from pass to pass. A pass allocates megabytes of im2col matrices; freed, the
/// allocator hands such blocks back to the system, and every pass paid again for the page faults of fresh
/// memory (two thirds of an evaluation's time). Not thread-safe: one workspace per thread.
final class Workspace<Scalar: BLASScalar>: @unchecked Sendable {
    private var spare: [[Scalar]] = []
    /// Spare arrays kept at most; more are freed.
    private static var limit: Int { 64 }

    init() {}

    /// An array of `count` zeros, made from a spare one when one is large enough.
    func zeros(_ count: Int) -> [Scalar] {
        // The smallest spare array that is large enough, so large ones stay for large requests.
        var index: Int?
        for candidate in spare.indices where spare[candidate].capacity >= count {
            if index == nil || spare[candidate].capacity < spare[index!].capacity { index = candidate }
        }
        guard let index else { return [Scalar](repeating: 0, count: count) }
        spare.swapAt(index, spare.count - 1)
        var array = spare.removeLast()
        if array.count > count { array.removeLast(array.count - count) }
        array.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        if array.count < count { array.append(contentsOf: repeatElement(0, count: count - array.count)) }
        return array
    }

    /// A copy of `array` in a spare array.
    func copy(_ array: [Scalar]) -> [Scalar] {
        var result = zeros(array.count)
        guard !array.isEmpty else { return result }
        result.withUnsafeMutableBufferPointer { target in
            array.withUnsafeBufferPointer { target.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        return result
    }

    /// Takes arrays back for reuse; they must not be used afterwards.
    func recycle(_ arrays: [Scalar]...) {
        for array in arrays where array.capacity > 0 {
            if spare.count < Self.limit {
                spare.append(array)
            } else if let smallest = spare.indices.min(by: { spare[$0].capacity < spare[$1].capacity }),
                      spare[smallest].capacity < array.capacity {
                // Full: the large arrays are the ones worth keeping.
                spare[smallest] = array
            }
        }
    }

    /// Takes back the arrays of a forward pass that is done with.
    func recycle(_ pass: consuming ForwardPass<Scalar>) {
        for convolution in pass.convolutions { recycle(convolution.columns, convolution.output, convolution.weights) }
        recycle(pass.pooled, pass.logits)
    }
}

/// Workspaces kept between calls (one per thread of a call), so repeated evaluations reuse their memory.
final class WorkspaceShelf<Scalar: BLASScalar>: @unchecked Sendable {
    private let lock = NSLock()
    private var shelf: [Workspace<Scalar>] = []

    init() {}

    /// Runs `body` with `count` workspaces, taken from the shelf where there are some, and puts them back.
    func with<Result>(_ count: Int, _ body: ([Workspace<Scalar>]) throws -> Result) rethrows -> Result {
        lock.lock()
        let taken = Array(shelf.suffix(count))
        shelf.removeLast(taken.count)
        lock.unlock()
        let workspaces = taken + (taken.count..<count).map { _ in Workspace<Scalar>() }
        defer {
            lock.lock()
            shelf.append(contentsOf: workspaces.prefix(max(0, 4 - shelf.count)))
            lock.unlock()
        }
        return try body(workspaces)
    }
}
