import Dispatch
import Foundation
import GymCore

/// Gradient boosting of oblivious trees: every node of a level tests the same feature against the same
/// border, so a tree of depth d is d tests whose outcomes, read as bits, index a table of 2ᵈ leaves (the
/// tree shape CatBoost grows; Prokhorenkova et al., NeurIPS 2018). Features are first cut into bins at
/// borders between neighbouring training values, so a test is a comparison of two small integers.
///
/// Prediction touches one leaf per tree, and a tree's leaf index needs no walk: the tests on a feature are
/// nested, so the bits one feature sets in every tree's index are tabulated by how many of its thresholds
/// the value exceeds, and the indices of all trees are a sum of one table row per feature. Hundreds of
/// trees predict in under a microsecond, which makes a proxy thousands of times faster than a simulator.
public struct ObliviousBoosting: Sendable, Codable, Equatable {
    /// Hyperparameters.
    public struct Settings: Sendable, Codable, Equatable {
        public var rounds: Int
        public var learningRate: Double
        /// Tests per tree; a tree has 2^depth leaves.
        public var depth: Int
        /// Probability that a row takes part in fitting each tree.
        public var subsample: Double
        /// L2 penalty on leaf values: a leaf's value is Σ residuals / (rows + l2).
        public var l2: Double
        /// Most borders per feature (bins − 1).
        public var maximumBorders: Int
        /// Boosted sequences grown from different seeds and averaged.
        public var bags: Int

        public init(rounds: Int = 1000, learningRate: Double = 0.1, depth: Int = 8, subsample: Double = 0.8, l2: Double = 1,
                    maximumBorders: Int = 254, bags: Int = 1) {
            self.bags = bags
            self.rounds = rounds
            self.learningRate = learningRate
            self.depth = depth
            self.subsample = subsample
            self.l2 = l2
            self.maximumBorders = maximumBorders
        }
    }

    /// Per feature, the ascending borders; a value's bin is the number of borders below it.
    public private(set) var borders: [[Double]]
    public private(set) var depth: Int
    /// The mean target, where every prediction starts.
    public private(set) var base: Double
    /// Per tree and level (tree-major): the feature tested, and the bin it must exceed for the bit to be 1.
    public private(set) var splitFeatures: [UInt8]
    public private(set) var splitBins: [UInt8]
    /// Per tree, its 2^depth leaf values, the learning rate already applied.
    public private(set) var leaves: [Float]

    public var trees: Int { splitFeatures.count / max(depth, 1) }

    // Compiled for prediction (derived, not saved): the distinct tests of all trees — a few hundred at
    // most, as every test is a border of one feature — as raw thresholds, and each (tree, level)'s test.
    private var testFeatures: [Int32] = []
    private var testThresholds: [Double] = []
    private var testOf: [UInt16] = []
    // And, when small enough, the leaf index of every tree as a sum over features: the tests on one
    // feature are nested (a value above a threshold is above every lower one), so the bits a feature
    // sets in all the trees' indices depend only on how many of its thresholds the value exceeds, and can
    // be tabulated — row m of a feature holds, per tree, the bits its m lowest thresholds set.
    private var featureThresholds: [[Double]] = []
    private var rowStarts: [Int] = []
    private var rows: [UInt16] = []
    /// Tables above this many entries are not built (a large teacher would need tens of megabytes).
    static let largestTable = 1 << 21

    private enum CodingKeys: String, CodingKey {
        case borders, depth, base, splitFeatures, splitBins, leaves
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        borders = try container.decode([[Double]].self, forKey: .borders)
        depth = try container.decode(Int.self, forKey: .depth)
        base = try container.decode(Double.self, forKey: .base)
        splitFeatures = try container.decode([UInt8].self, forKey: .splitFeatures)
        splitBins = try container.decode([UInt8].self, forKey: .splitBins)
        leaves = try container.decode([Float].self, forKey: .leaves)
        guard (1...16).contains(depth), splitFeatures.count == splitBins.count, splitFeatures.count % depth == 0,
              leaves.count == (splitFeatures.count / depth) << depth,
              zip(splitFeatures, splitBins).allSatisfy({ Int($0) < borders.count && Int($1) < borders[Int($0)].count }) else {
            throw ProxyError.invalidFile("an oblivious model's trees do not match its depth, leaves and borders")
        }
        compile()
    }

    /// Collects the distinct tests: a design is tested against each once, and each tree reads its
    /// outcomes.
    private mutating func compile() {
        var index: [Int: Int] = [:]
        testFeatures = []
        testThresholds = []
        testOf = []
        testOf.reserveCapacity(splitFeatures.count)
        for (feature, bin) in zip(splitFeatures, splitBins) {
            let key = Int(feature) << 8 | Int(bin)
            if index[key] == nil {
                index[key] = testFeatures.count
                testFeatures.append(Int32(feature))
                testThresholds.append(borders[Int(feature)][Int(bin)])
            }
            testOf.append(UInt16(index[key]!))
        }
        let trees = self.trees
        featureThresholds = borders.indices.map { feature in
            Array(Set(zip(testFeatures, testThresholds).filter { Int($0.0) == feature }.map(\.1))).sorted()
        }
        let size = featureThresholds.reduce(0) { $0 + ($1.count + 1) * trees }
        guard size <= Self.largestTable else {
            rowStarts = []
            rows = []
            return
        }
        rowStarts = []
        rows = [UInt16](repeating: 0, count: size)
        var start = 0
        for thresholds in featureThresholds {
            rowStarts.append(start)
            start += (thresholds.count + 1) * trees
        }
        for tree in 0..<trees {
            for level in 0..<depth {
                let feature = Int(splitFeatures[tree * depth + level])
                let threshold = borders[feature][Int(splitBins[tree * depth + level])]
                let rank = featureThresholds[feature].firstIndex(of: threshold)!
                // A value above this threshold has exceeded rank + 1 or more of the feature's thresholds.
                for exceeded in (rank + 1)...featureThresholds[feature].count {
                    rows[rowStarts[feature] + exceeded * trees + tree] |= UInt16(1 << level)
                }
            }
        }
    }

    /// Trains on `x`, `y` with the seed `seed`.
    public init(x: [[Double]], y: [Double], settings: Settings = Settings(), seed: UInt64) throws {
        guard settings.rounds >= 1, settings.learningRate > 0, settings.subsample > 0, settings.subsample <= 1, settings.l2 >= 0,
              (1...16).contains(settings.depth), (1...255).contains(settings.maximumBorders), settings.bags >= 1 else {
            throw ProxyError.invalidSetting("oblivious boosting needs rounds ≥ 1, a positive learning rate, a subsample in (0, 1], l2 ≥ 0, depth 1…16, 1…255 borders and at least one bag")
        }
        guard !y.isEmpty, x.count == y.count else {
            throw ProxyError.invalidData("\(x.count) feature rows and \(y.count) targets; boosting needs at least one row of each")
        }
        let width = x[0].count
        guard width <= 256, x.allSatisfy({ $0.count == width }) else {
            throw ProxyError.invalidData("oblivious boosting needs rows of one width, at most 256 features")
        }
        let n = y.count
        depth = settings.depth
        base = y.reduce(0, +) / Double(n)
        borders = (0..<width).map { feature in Self.borders(of: x.map { $0[feature] }, maximum: settings.maximumBorders) }
        // Column-major bins of every row.
        var binned = [UInt8](repeating: 0, count: width * n)
        for feature in 0..<width {
            for row in 0..<n { binned[feature * n + row] = UInt8(Self.bin(x[row][feature], borders[feature])) }
        }
        let bins = binned
        let binCounts = borders.map { $0.count + 1 }
        // Each bag boosts from its own seed; the model is their average, the trees of all bags with each
        // leaf divided by the number of bags.
        let bags = Slots<(features: [UInt8], bins: [UInt8], leaves: [Float])>(count: settings.bags)
        let base = self.base, depth = self.depth
        DispatchQueue.concurrentPerform(iterations: settings.bags) { bag in
            bags.set(bag, Self.boost(bins: bins, binCounts: binCounts, y: y, base: base, depth: depth, settings: settings,
                                     seed: bag == 0 ? seed : Seeds.derive(seed, "bag \(bag)")))
        }
        splitFeatures = bags.values.flatMap { $0!.features }
        splitBins = bags.values.flatMap { $0!.bins }
        let share = Float(1) / Float(settings.bags)
        leaves = bags.values.flatMap { $0!.leaves.map { settings.bags == 1 ? $0 : $0 * share } }
        compile()
    }

    /// One boosted sequence of trees over the binned rows (column-major `bins`).
    private static func boost(bins: [UInt8], binCounts: [Int], y: [Double], base: Double, depth: Int, settings: Settings,
                              seed: UInt64) -> (features: [UInt8], bins: [UInt8], leaves: [Float]) {
        let n = y.count
        var splitFeatures: [UInt8] = [], splitBins: [UInt8] = [], leaves: [Float] = []
        splitFeatures.reserveCapacity(settings.rounds * depth)
        splitBins.reserveCapacity(settings.rounds * depth)
        leaves.reserveCapacity(settings.rounds << depth)
        var prediction = [Double](repeating: base, count: n)
        var residual = [Double](repeating: 0, count: n)
        var leafOf = [Int32](repeating: 0, count: n)
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<settings.rounds {
            var rows: [Int32] = []
            rows.reserveCapacity(Int(Double(n) * settings.subsample) + 16)
            for row in 0..<n where settings.subsample >= 1 || generator.nextUnit() < settings.subsample { rows.append(Int32(row)) }
            if rows.isEmpty { rows.append(Int32(generator.next() % UInt64(n))) }
            for row in rows { residual[Int(row)] = y[Int(row)] - prediction[Int(row)]; leafOf[Int(row)] = 0 }
            var chosenFeatures: [UInt8] = [], chosenBins: [UInt8] = []
            for level in 0..<depth {
                let choice = bestSplit(bins: bins, rows: rows, residual: residual, leafOf: leafOf, nodes: 1 << level,
                                       binCounts: binCounts, count: n, l2: settings.l2)
                chosenFeatures.append(UInt8(choice.feature))
                chosenBins.append(UInt8(choice.bin))
                let column = choice.feature * n
                for row in rows where Int(bins[column + Int(row)]) > choice.bin { leafOf[Int(row)] |= Int32(1 << level) }
            }
            var sums = [Double](repeating: 0, count: 1 << depth), counts = sums
            for row in rows {
                sums[Int(leafOf[Int(row)])] += residual[Int(row)]
                counts[Int(leafOf[Int(row)])] += 1
            }
            let treeLeaves = (0..<(1 << depth)).map { counts[$0] > 0 ? Float(settings.learningRate * sums[$0] / (counts[$0] + settings.l2)) : 0 }
            splitFeatures += chosenFeatures
            splitBins += chosenBins
            leaves += treeLeaves
            // Every row's prediction moves by its leaf, as the saved (single-precision) leaf says.
            for row in 0..<n {
                var index = 0
                for level in 0..<depth where Int(bins[Int(chosenFeatures[level]) * n + row]) > Int(chosenBins[level]) { index |= 1 << level }
                prediction[row] += Double(treeLeaves[index])
            }
        }
        return (splitFeatures, splitBins, leaves)
    }

    /// Borders halfway between neighbouring distinct values; when there are more than `maximum`, the
    /// ones at evenly spaced quantiles of the values.
    static func borders(of values: [Double], maximum: Int) -> [Double] {
        let distinct = Array(Set(values)).sorted()
        guard distinct.count > 1 else { return [] }
        let all = zip(distinct, distinct.dropFirst()).map { ($0 + $1) / 2 }
        guard all.count > maximum else { return all }
        let sorted = values.sorted()
        var chosen: [Double] = []
        for k in 1...maximum {
            let value = sorted[min(sorted.count - 1, k * sorted.count / (maximum + 1))]
            // The border just above that value, if any.
            if let border = all.first(where: { $0 > value }), chosen.last != border { chosen.append(border) }
        }
        return chosen
    }

    /// The number of `borders` below `value`.
    @inline(__always)
    static func bin(_ value: Double, _ borders: [Double]) -> Int {
        var low = 0, high = borders.count
        while low < high {
            let middle = (low + high) / 2
            if borders[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The (feature, bin) test that, applied to every node of the level, most reduces the squared error of
    /// the nodes' mean residuals (with the L2 penalty), found from per-node histograms; features in
    /// parallel, ties to the lowest feature and bin.
    private static func bestSplit(bins: [UInt8], rows: [Int32], residual: [Double], leafOf: [Int32], nodes: Int,
                                  binCounts: [Int], count n: Int, l2: Double) -> (feature: Int, bin: Int) {
        let results = Slots<(gain: Double, bin: Int)>(count: binCounts.count)
        DispatchQueue.concurrentPerform(iterations: binCounts.count) { feature in
            let width = binCounts[feature]
            guard width > 1 else { return results.set(feature, (-.infinity, 0)) }
            var sums = [Double](repeating: 0, count: nodes * width), counts = sums
            bins.withUnsafeBufferPointer { bins in
                residual.withUnsafeBufferPointer { residual in
                    leafOf.withUnsafeBufferPointer { leafOf in
                        sums.withUnsafeMutableBufferPointer { sums in
                            counts.withUnsafeMutableBufferPointer { counts in
                                let column = feature * n
                                for row in rows {
                                    let slot = Int(leafOf[Int(row)]) * width + Int(bins[column + Int(row)])
                                    sums[slot] += residual[Int(row)]
                                    counts[slot] += 1
                                }
                            }
                        }
                    }
                }
            }
            var totalSum = [Double](repeating: 0, count: nodes), totalCount = totalSum
            for node in 0..<nodes {
                for bin in 0..<width {
                    totalSum[node] += sums[node * width + bin]
                    totalCount[node] += counts[node * width + bin]
                }
            }
            var leftSum = [Double](repeating: 0, count: nodes), leftCount = leftSum
            var best = (gain: -Double.infinity, bin: 0)
            for bin in 0..<(width - 1) {
                var gain = 0.0
                for node in 0..<nodes {
                    leftSum[node] += sums[node * width + bin]
                    leftCount[node] += counts[node * width + bin]
                    let rightSum = totalSum[node] - leftSum[node], rightCount = totalCount[node] - leftCount[node]
                    gain += leftSum[node] * leftSum[node] / (leftCount[node] + l2) + rightSum * rightSum / (rightCount + l2)
                }
                if gain > best.gain { best = (gain, bin) }
            }
            results.set(feature, best)
        }
        var choice = (feature: 0, bin: 0), bestGain = -Double.infinity
        for (feature, result) in results.values.enumerated() where result!.gain > bestGain {
            bestGain = result!.gain
            choice = (feature, result!.bin)
        }
        return choice
    }

    /// Predictions for many designs. A model too large for per-feature rows walks blocks of designs through
    /// the trees together, so each tree's leaves are fetched into the cache once per block rather than once
    /// per design (the way to label many designs with a large teacher).
    public func predict(batch rows: [[Double]]) -> [Double] {
        self.rows.isEmpty ? predictInBlocks(rows) : rows.map(predictByFeatureRows)
    }

    func predictInBlocks(_ rows: [[Double]]) -> [Double] {
        let tests = testFeatures.count, block = 512
        var result = [Double](repeating: base, count: rows.count)
        // Test-major outcomes of the block's designs, so a tree level reads one contiguous run of bytes.
        var outcomes = [UInt8](repeating: 0, count: max(tests, 1) * block)
        var indices = [Int32](repeating: 0, count: block)
        var start = 0
        while start < rows.count {
            let count = min(block, rows.count - start)
            for member in 0..<count {
                let x = rows[start + member]
                for test in 0..<tests { outcomes[test * block + member] = x[Int(testFeatures[test])] > testThresholds[test] ? 1 : 0 }
            }
            outcomes.withUnsafeBufferPointer { outcomes in
                testOf.withUnsafeBufferPointer { testOf in
                    leaves.withUnsafeBufferPointer { leaves in
                        result.withUnsafeMutableBufferPointer { result in
                            indices.withUnsafeMutableBufferPointer { indices in
                                let depth = self.depth, trees = testOf.count / depth
                                for tree in 0..<trees {
                                    for member in 0..<count { indices[member] = 0 }
                                    for level in 0..<depth {
                                        let run = Int(testOf[tree * depth + level]) * block
                                        for member in 0..<count { indices[member] |= Int32(outcomes[run + member]) << Int32(level) }
                                    }
                                    let table = tree << depth
                                    for member in 0..<count { result[start + member] += Double(leaves[table | Int(indices[member])]) }
                                }
                            }
                        }
                    }
                }
            }
            start += count
        }
        return result
    }

    /// The prediction for one encoded design, from the per-feature rows when the model has them.
    public func predict(_ features: [Double]) -> Double {
        rows.isEmpty ? predictByTests(features) : predictByFeatureRows(features)
    }

    /// One design through every tree's tests: each distinct test once (x > threshold, as a 0 or 1 byte),
    /// then per tree its tests' outcomes as the bits of a leaf index; four trees at a time, so their loads
    /// overlap.
    func predictByTests(_ features: [Double]) -> Double {
        let tests = testFeatures.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(tests, 1)) { outcomes in
            features.withUnsafeBufferPointer { x in
                testFeatures.withUnsafeBufferPointer { feature in
                    testThresholds.withUnsafeBufferPointer { threshold in
                        for test in 0..<tests { outcomes[test] = x[Int(feature[test])] > threshold[test] ? 1 : 0 }
                    }
                }
            }
            return testOf.withUnsafeBufferPointer { testOf in
                leaves.withUnsafeBufferPointer { leaves in
                    let sum = Self.sumLeaves(depth: depth, outcomes: UnsafePointer(outcomes.baseAddress!), testOf: testOf, leaves: leaves)
                    return base + sum
                }
            }
        }
    }

    /// The prediction from the per-feature rows: every tree's leaf index is the sum of one row per feature
    /// (a vectorised add of small integers), then one leaf per tree is read.
    func predictByFeatureRows(_ features: [Double]) -> Double {
        let trees = self.trees
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: max(trees, 1)) { index in
            index.initialize(repeating: 0)
            rows.withUnsafeBufferPointer { rows in
                for (feature, thresholds) in featureThresholds.enumerated() where !thresholds.isEmpty {
                    let exceeded = Self.bin(features[feature], thresholds)
                    guard exceeded > 0 else { continue }
                    let row = rows.baseAddress! + rowStarts[feature] + exceeded * trees
                    for tree in 0..<trees { index[tree] &+= row[tree] }
                }
            }
            return leaves.withUnsafeBufferPointer { leaves in
                let depth = self.depth
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                var tree = 0
                while tree + 3 < trees {
                    s0 += Double(leaves[tree << depth | Int(index[tree])])
                    s1 += Double(leaves[(tree + 1) << depth | Int(index[tree + 1])])
                    s2 += Double(leaves[(tree + 2) << depth | Int(index[tree + 2])])
                    s3 += Double(leaves[(tree + 3) << depth | Int(index[tree + 3])])
                    tree += 4
                }
                while tree < trees {
                    s0 += Double(leaves[tree << depth | Int(index[tree])])
                    tree += 1
                }
                return base + ((s0 + s1) + (s2 + s3))
            }
        }
    }

    /// Σ over the trees of the leaf their tests' outcomes index.
    private static func sumLeaves(depth: Int, outcomes: UnsafePointer<UInt8>, testOf: UnsafeBufferPointer<UInt16>,
                                  leaves: UnsafeBufferPointer<Float>) -> Double {
        let trees = testOf.count / depth
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var tree = 0
        while tree + 3 < trees {
            var i0 = 0, i1 = 0, i2 = 0, i3 = 0
            let o = tree * depth
            for level in 0..<depth {
                i0 |= Int(outcomes[Int(testOf[o + level])]) << level
                i1 |= Int(outcomes[Int(testOf[o + depth + level])]) << level
                i2 |= Int(outcomes[Int(testOf[o + 2 * depth + level])]) << level
                i3 |= Int(outcomes[Int(testOf[o + 3 * depth + level])]) << level
            }
            s0 += Double(leaves[tree << depth | i0])
            s1 += Double(leaves[(tree + 1) << depth | i1])
            s2 += Double(leaves[(tree + 2) << depth | i2])
            s3 += Double(leaves[(tree + 3) << depth | i3])
            tree += 4
        }
        while tree < trees {
            var index = 0
            for level in 0..<depth { index |= Int(outcomes[Int(testOf[tree * depth + level])]) << level }
            s0 += Double(leaves[tree << depth | index])
            tree += 1
        }
        return (s0 + s1) + (s2 + s3)
    }
}
