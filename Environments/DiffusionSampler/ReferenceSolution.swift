import Foundation
import GymCore

/// The reference solution of the probability-flow ODE: classic RK4 in λ with 1000 uniform λ-steps on
/// y = x/α, dy/dλ = −e^(−λ)·ε(α(t(λ))·y, t(λ)); x_ref = α(ε)·y_end.
public enum ReferenceSolution {
    /// Integrates every row of `x1` from t = 1 to `end` with `steps` RK4 steps.
    public static func solve(_ x1: [Double], denoiser: MixtureDenoiser, end: Double = 1e-3, steps: Int = 1000) throws -> [Double] {
        let schedule = denoiser.schedule
        let start = schedule.lambda(1)
        let h = (schedule.lambda(end) - start) / Double(steps)
        let count = x1.count
        var y = x1.map { $0 / schedule.alpha(1) }
        // Four stage derivatives and one scratch state, reused by every step.
        var stages = [[Double]](repeating: [Double](repeating: 0, count: count), count: 4)
        var state = [Double](repeating: 0, count: count)
        var score = [Double](repeating: 0, count: count)

        /// Writes dy/dλ at (state, λ) into stage `index`: −e^(−λ)·ε(α·y, t) = e^(−λ)·σ·score(α·y).
        func derivative(_ lambda: Double, into index: Int) {
            let t = schedule.time(lambda: lambda)
            let alpha = schedule.alpha(t)
            let factor = exp(-lambda) * schedule.sigma(t)
            for i in 0..<count { state[i] *= alpha }
            state.withUnsafeBufferPointer { x in
                score.withUnsafeMutableBufferPointer { result in denoiser.score(x, at: t, into: result) }
            }
            for i in 0..<count { stages[index][i] = factor * score[i] }
        }

        for step in 0..<steps {
            try EvaluationDeadline.check()
            let lambda = start + Double(step) * h
            state = y
            derivative(lambda, into: 0)
            for i in 0..<count { state[i] = y[i] + h / 2 * stages[0][i] }
            derivative(lambda + h / 2, into: 1)
            for i in 0..<count { state[i] = y[i] + h / 2 * stages[1][i] }
            derivative(lambda + h / 2, into: 2)
            for i in 0..<count { state[i] = y[i] + h * stages[2][i] }
            derivative(lambda + h, into: 3)
            for i in 0..<count {
                y[i] += h / 6 * (stages[0][i] + 2 * stages[1][i] + 2 * stages[2][i] + stages[3][i])
            }
        }
        let alphaEnd = schedule.alpha(end)
        return y.map { alphaEnd * $0 }
    }
}

/// The sliced 2-Wasserstein distance between two equal-sized sample sets: `directions` unit vectors,
/// project both sets, sort, and take √(mean squared difference over directions and ranks).
public enum SlicedWasserstein {
    /// The 128 directions of the test bed in `dimension` dimensions: normals(4242, 128 × D), each normalised.
    public static func directions(dimension: Int, count: Int = 128) -> [[Double]] {
        let raw = ReproducibleRandom.normals(seed: 4242, rows: count, columns: dimension)
        return (0..<count).map { row in
            let vector = Array(raw[row * dimension..<(row + 1) * dimension])
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return vector.map { $0 / norm }
        }
    }

    /// The distance between rows of `a` and rows of `b` (both count × D, same count).
    public static func distance(_ a: [Double], _ b: [Double], dimension: Int, directions: [[Double]]) -> Double {
        distance(a, toSortedProjections: sortedProjections(b, dimension: dimension, directions: directions),
                 dimension: dimension, directions: directions)
    }

    /// The sorted projections of the rows of `samples` on each direction: precomputed once for a fixed set.
    public static func sortedProjections(_ samples: [Double], dimension: Int, directions: [[Double]]) -> [[Double]] {
        directions.map { direction in
            var projected = project(samples, on: direction, dimension: dimension)
            radixSort(&projected)
            return projected
        }
    }

    /// The distance between rows of `a` and a set given by its sorted projections on `directions`.
    public static func distance(_ a: [Double], toSortedProjections reference: [[Double]], dimension: Int,
                                directions: [[Double]]) -> Double {
        let rows = a.count / dimension
        precondition(reference.allSatisfy { $0.count == rows }, "sliced Wasserstein here compares sets of equal size")
        var total = 0.0
        for (direction, sortedReference) in zip(directions, reference) {
            var projected = project(a, on: direction, dimension: dimension)
            radixSort(&projected)
            for row in 0..<rows {
                let difference = projected[row] - sortedReference[row]
                total += difference * difference
            }
        }
        return (total / Double(rows * directions.count)).squareRoot()
    }

    private static func project(_ samples: [Double], on direction: [Double], dimension: Int) -> [Double] {
        let rows = samples.count / dimension
        var projected = [Double](repeating: 0, count: rows)
        for row in 0..<rows {
            var sum = 0.0
            for d in 0..<dimension { sum += samples[row * dimension + d] * direction[d] }
            projected[row] = sum
        }
        return projected
    }

    /// Sorts finite doubles ascending: an LSD radix sort (six passes of 11 bits, skipping a pass when
    /// every key has the same digit) on keys that order like the doubles (sign bit flipped for positives,
    /// all bits flipped for negatives). Several times faster than a comparison sort for the few thousand
    /// values of a projection.
    static func radixSort(_ values: inout [Double]) {
        let count = values.count
        guard count > 1 else { return }
        var keys = [UInt64](repeating: 0, count: count)
        var scratch = [UInt64](repeating: 0, count: count)
        var counts = [Int](repeating: 0, count: 2048)
        values.withUnsafeMutableBufferPointer { values in
            keys.withUnsafeMutableBufferPointer { keys in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    counts.withUnsafeMutableBufferPointer { counts in
                        for index in 0..<count {
                            let bits = values[index].bitPattern
                            keys[index] = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
                        }
                        var source = keys
                        var target = scratch
                        for pass in 0..<6 {
                            let shift = UInt64(pass * 11)
                            for index in 0..<2048 { counts[index] = 0 }
                            for index in 0..<count { counts[Int((source[index] >> shift) & 0x7FF)] += 1 }
                            if counts[Int((source[0] >> shift) & 0x7FF)] == count { continue }  // one digit: nothing to do
                            var running = 0
                            for index in 0..<2048 {
                                let bucket = counts[index]
                                counts[index] = running
                                running += bucket
                            }
                            for index in 0..<count {
                                let key = source[index]
                                let bucket = Int((key >> shift) & 0x7FF)
                                target[counts[bucket]] = key
                                counts[bucket] += 1
                            }
                            swap(&source, &target)
                        }
                        for index in 0..<count {
                            let key = source[index]
                            values[index] = Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
                        }
                    }
                }
            }
        }
    }
}
