import Dispatch
import Foundation
import GymCore

/// Gradient-boosted regression trees (Friedman): shallow trees fitted one after another to the residuals
/// of the ensemble so far, each shrunk by the learning rate, each on a seeded subsample of the rows.
/// With `bags` > 1, that many boosted ensembles grow from different seeds (in parallel) and the
/// prediction is their mean, which averages out the variance of the subsampling.
public struct GradientBoosting: Sendable, Codable, Equatable {
    /// Hyperparameters.
    public struct Settings: Sendable, Codable, Equatable {
        public var rounds: Int
        public var learningRate: Double
        /// Fraction of the rows each tree sees (stochastic gradient boosting when below 1).
        public var subsample: Double
        public var tree: RegressionTree.Settings
        /// Boosted ensembles averaged.
        public var bags: Int

        /// The defaults were the best of a small grid for the DRAM proxies (about 8,000 designs): depth 8
        /// and 500 rounds scored power at 0.72 % RMSE/range against 0.87 % at depth 6 and 0.74 % at 12.
        public init(rounds: Int = 500, learningRate: Double = 0.1, subsample: Double = 0.8,
                    tree: RegressionTree.Settings = .init(maximumDepth: 8, minimumLeafSize: 1), bags: Int = 1) {
            self.bags = bags
            self.rounds = rounds
            self.learningRate = learningRate
            self.subsample = subsample
            self.tree = tree
        }
    }

    /// The trees, compiled for prediction: `base + learning rate × Σ trees`.
    public private(set) var ensemble: TreeEnsemble

    /// Trains on `x`, `y` with the seed `seed`.
    public init(x: [[Double]], y: [Double], settings: Settings = Settings(), seed: UInt64) throws {
        guard settings.rounds >= 1, settings.learningRate > 0, settings.subsample > 0, settings.subsample <= 1 else {
            throw ProxyError.invalidSetting("boosting needs rounds ≥ 1, a positive learning rate and a subsample in (0, 1]")
        }
        guard !y.isEmpty, x.count == y.count else {
            throw ProxyError.invalidData("\(x.count) feature rows and \(y.count) targets; boosting needs at least one row of each")
        }
        guard settings.bags >= 1 else { throw ProxyError.invalidSetting("boosting needs at least one bag, not \(settings.bags)") }
        let base = y.reduce(0, +) / Double(y.count)
        let bags = Slots<[RegressionTree]>(count: settings.bags)
        DispatchQueue.concurrentPerform(iterations: settings.bags) { bag in
            bags.set(bag, Self.boost(x: x, y: y, base: base, settings: settings, seed: bag == 0 ? seed : Seeds.derive(seed, "bag \(bag)")))
        }
        ensemble = TreeEnsemble(bags.values.flatMap { $0! }, offset: base, scale: settings.learningRate / Double(settings.bags))
    }

    private static func boost(x: [[Double]], y: [Double], base: Double, settings: Settings, seed: UInt64) -> [RegressionTree] {
        var trees: [RegressionTree] = []
        var prediction = [Double](repeating: base, count: y.count)
        var generator = SeededGenerator(seed: seed)
        let sampleSize = max(1, Int((Double(y.count) * settings.subsample).rounded()))
        for _ in 0..<settings.rounds {
            let residual = zip(y, prediction).map { $0 - $1 }
            var rows = Array(y.indices)
            if sampleSize < y.count {
                generator.shuffleUpward(&rows)
                rows = Array(rows.prefix(sampleSize))
            }
            let tree = RegressionTree(x: x, y: residual, rows: rows, settings: settings.tree, using: &generator)
            for index in y.indices { prediction[index] += settings.learningRate * tree.predict(x[index]) }
            trees.append(tree)
        }
        return trees
    }

    public func predict(_ features: [Double]) -> Double {
        ensemble.predict(features)
    }
}
