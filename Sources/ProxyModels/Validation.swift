import GymCore

/// How well predictions match true values.
///
/// - `rmse`: √(mean (p − t)²), in the metric's unit;
/// - `normalizedRMSE`: RMSE divided by the range (max − min) of the true values scored — ArchGym's
///   "RMSE %" when multiplied by 100;
/// - `mape`: mean |p − t| / |t| over the true values that are not zero;
/// - `r2`: 1 − Σ(p − t)² / Σ(t − mean t)²;
/// - `kendallTau`: Kendall's τ-b between the predicted and true orderings, which is what a search that
///   ranks designs by the proxy needs.
public struct Scores: Sendable, Codable, Equatable {
    public var count: Int
    public var rmse: Double
    public var normalizedRMSE: Double
    public var mape: Double
    public var r2: Double
    public var kendallTau: Double

    /// The scores of `predicted` against `truth`.
    public init(predicted: [Double], truth: [Double]) {
        precondition(predicted.count == truth.count, "one prediction per true value")
        count = truth.count
        let n = Double(max(truth.count, 1))
        var squared = 0.0, relative = 0.0, relativeCount = 0.0
        for (p, t) in zip(predicted, truth) {
            squared += (p - t) * (p - t)
            if t != 0 {
                relative += abs(p - t) / abs(t)
                relativeCount += 1
            }
        }
        rmse = (squared / n).squareRoot()
        let range = (truth.max() ?? 0) - (truth.min() ?? 0)
        normalizedRMSE = range > 0 ? rmse / range : (rmse == 0 ? 0 : .infinity)
        mape = relativeCount > 0 ? relative / relativeCount : 0
        let mean = truth.reduce(0, +) / n
        let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        r2 = total > 0 ? 1 - squared / total : (squared == 0 ? 1 : -.infinity)
        kendallTau = Self.kendallTau(predicted, truth)
    }

    /// Kendall's τ-b: (concordant − discordant) / √((n0 − ties in a)(n0 − ties in b)), over all pairs.
    public static func kendallTau(_ a: [Double], _ b: [Double]) -> Double {
        var concordant = 0.0, discordant = 0.0, tiesA = 0.0, tiesB = 0.0, pairs = 0.0
        for i in a.indices {
            for j in (i + 1)..<a.count {
                let da = a[i] - a[j], db = b[i] - b[j]
                pairs += 1
                if da == 0 { tiesA += 1 }
                if db == 0 { tiesB += 1 }
                if da * db > 0 { concordant += 1 } else if da * db < 0 { discordant += 1 }
            }
        }
        let denominator = ((pairs - tiesA) * (pairs - tiesB)).squareRoot()
        return denominator > 0 ? (concordant - discordant) / denominator : 0
    }
}

/// Seeded train/test splits of `count` rows.
public enum Split {
    /// A shuffled hold-out: the last `testFraction` of a seeded permutation is the test set.
    public static func holdOut(count: Int, testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        generator.shuffleUpward(&order)
        let testCount = min(count, max(count > 1 ? 1 : 0, Int((Double(count) * testFraction).rounded())))
        return (Array(order.dropLast(testCount)), Array(order.suffix(testCount)))
    }

    /// k folds of a seeded permutation: every row is in exactly one test fold.
    public static func kFold(count: Int, folds: Int, seed: UInt64) -> [(train: [Int], test: [Int])] {
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        generator.shuffleUpward(&order)
        let k = max(1, min(folds, count))
        return (0..<k).map { fold in
            let test = order.enumerated().filter { $0.offset % k == fold }.map(\.element)
            let train = order.enumerated().filter { $0.offset % k != fold }.map(\.element)
            return (train, test)
        }
    }
}
