import GymCore

/// A random forest of regression trees (Breiman): each tree grows on a bootstrap sample of the rows,
/// trying a random subset of the features at each split; the forest predicts the trees' mean. The
/// regressor ArchGym trained its DRAM proxy with. Deterministic for a seed.
public struct RandomForest: Sendable, Codable, Equatable {
    /// Hyperparameters.
    public struct Settings: Sendable, Codable, Equatable {
        /// Trees in the forest.
        public var trees: Int
        /// Settings of each tree; `featuresPerSplit` nil tries every feature at each split (scikit-learn's
        /// default for regression forests, which ArchGym's proxy used), so the randomness is the bootstrap.
        public var tree: RegressionTree.Settings
        /// Whether each tree sees a bootstrap sample (true) or every row.
        public var bootstrap: Bool

        public init(trees: Int = 100, tree: RegressionTree.Settings = .init(), bootstrap: Bool = true) {
            self.trees = trees
            self.tree = tree
            self.bootstrap = bootstrap
        }
    }

    /// The trees, compiled for prediction.
    public private(set) var ensemble: TreeEnsemble

    /// Trains a forest on `x`, `y` with the seed `seed`.
    public init(x: [[Double]], y: [Double], settings: Settings = Settings(), seed: UInt64) throws {
        guard settings.trees >= 1 else { throw ProxyError.invalidSetting("a forest needs at least one tree, not \(settings.trees)") }
        guard !y.isEmpty, x.count == y.count else {
            throw ProxyError.invalidData("\(x.count) feature rows and \(y.count) targets; a forest needs at least one row of each")
        }
        let treeSettings = settings.tree
        let trees = (0..<settings.trees).map { index in
            var generator = SeededGenerator(seed: Seeds.derive(seed, "tree \(index)"))
            let rows = settings.bootstrap ? (0..<y.count).map { _ in generator.nextInt(below: y.count) } : Array(y.indices)
            return RegressionTree(x: x, y: y, rows: rows, settings: treeSettings, using: &generator)
        }
        ensemble = TreeEnsemble(trees, offset: 0, scale: 1 / Double(trees.count))
    }

    /// The mean prediction of the trees.
    public func predict(_ features: [Double]) -> Double {
        ensemble.predict(features)
    }
}
