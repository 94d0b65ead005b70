import GymCore

/// A CART regression tree: binary splits that most reduce the squared error, leaves predicting the
/// mean of their rows.
public struct RegressionTree: Sendable, Codable, Equatable {
    /// How a tree grows.
    public struct Settings: Sendable, Codable, Equatable {
        /// Deepest level (the root is depth 0).
        public var maximumDepth: Int
        /// Fewest rows in a leaf.
        public var minimumLeafSize: Int
        /// Features tried at each split: all when nil, else a fresh random subset of this size.
        public var featuresPerSplit: Int?

        public init(maximumDepth: Int = 32, minimumLeafSize: Int = 1, featuresPerSplit: Int? = nil) {
            self.maximumDepth = maximumDepth
            self.minimumLeafSize = minimumLeafSize
            self.featuresPerSplit = featuresPerSplit
        }
    }

    // Nodes, flat: an inner node has feature ≥ 0 and children; a leaf has feature −1 and a value.
    var feature: [Int] = []
    var threshold: [Double] = []
    var left: [Int] = []
    var right: [Int] = []
    var value: [Double] = []

    /// Nodes in the tree.
    public var nodeCount: Int { feature.count }

    /// Grows a tree on the rows `rows` (repeats allowed, as in a bootstrap sample) of `x`, `y`.
    public init(x: [[Double]], y: [Double], rows: [Int]? = nil, settings: Settings = Settings(),
                using generator: inout SeededGenerator) {
        let rows = rows ?? Array(y.indices)
        let width = x.first?.count ?? 0
        grow(x: x, y: y, rows: rows, depth: 0, width: width, settings: settings, generator: &generator)
    }

    @discardableResult
    private mutating func grow(x: [[Double]], y: [Double], rows: [Int], depth: Int, width: Int, settings: Settings,
                               generator: inout SeededGenerator) -> Int {
        let node = feature.count
        var sum = 0.0
        for row in rows { sum += y[row] }
        let mean = rows.isEmpty ? 0 : sum / Double(rows.count)
        feature.append(-1)
        threshold.append(0)
        left.append(-1)
        right.append(-1)
        value.append(mean)
        guard depth < settings.maximumDepth, rows.count >= 2 * settings.minimumLeafSize else { return node }
        var squared = 0.0
        for row in rows { squared += (y[row] - mean) * (y[row] - mean) }
        guard squared > 1e-12 * max(1, abs(mean)) else { return node }

        var candidates = Array(0..<width)
        if let count = settings.featuresPerSplit, count < width {
            generator.shuffleUpward(&candidates)
            candidates = Array(candidates.prefix(max(1, count)))
        }
        var bestGain = 0.0
        var bestFeature = -1
        var bestThreshold = 0.0
        let total = Double(rows.count)
        for candidate in candidates {
            let sorted = rows.sorted { x[$0][candidate] < x[$1][candidate] }
            var leftSum = 0.0
            for position in 0..<(sorted.count - 1) {
                leftSum += y[sorted[position]]
                let here = x[sorted[position]][candidate]
                let next = x[sorted[position + 1]][candidate]
                let leftCount = Double(position + 1)
                guard here < next, position + 1 >= settings.minimumLeafSize,
                      sorted.count - position - 1 >= settings.minimumLeafSize else { continue }
                // Squared error saved by the split: nL·mean_L² + nR·mean_R² − n·mean².
                let rightSum = sum - leftSum
                let gain = leftSum * leftSum / leftCount + rightSum * rightSum / (total - leftCount) - sum * sum / total
                if gain > bestGain + 1e-12 {
                    bestGain = gain
                    bestFeature = candidate
                    bestThreshold = (here + next) / 2
                }
            }
        }
        guard bestFeature >= 0 else { return node }
        let leftRows = rows.filter { x[$0][bestFeature] <= bestThreshold }
        let rightRows = rows.filter { x[$0][bestFeature] > bestThreshold }
        feature[node] = bestFeature
        threshold[node] = bestThreshold
        let leftChild = grow(x: x, y: y, rows: leftRows, depth: depth + 1, width: width, settings: settings, generator: &generator)
        let rightChild = grow(x: x, y: y, rows: rightRows, depth: depth + 1, width: width, settings: settings, generator: &generator)
        left[node] = leftChild
        right[node] = rightChild
        return node
    }

    /// The prediction for one encoded design.
    public func predict(_ features: [Double]) -> Double {
        var node = 0
        while feature[node] >= 0 {
            node = features[feature[node]] <= threshold[node] ? left[node] : right[node]
        }
        return value[node]
    }
}
