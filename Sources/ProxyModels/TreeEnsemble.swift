/// Trees compiled for prediction: every node of every tree in one contiguous array, the two children of
/// an inner node side by side, so a step down a tree is `child = first + (x[feature] > threshold ? 1 : 0)`
/// with no branch to mispredict. A leaf points at itself with an infinite threshold, so each tree is
/// walked a fixed number of steps (its depth). The ensemble predicts `offset + scale × Σ leaf values`:
/// a forest's mean is `scale = 1 / trees`, boosting's sum is `offset = base, scale = learning rate`.
///
/// Saved as four arrays of node fields (feature −1 marks a leaf), the tree roots and depths.
public struct TreeEnsemble: Sendable, Equatable {
    struct Node: Sendable, Equatable {
        var threshold: Double
        var feature: Int32
        var first: Int32
    }

    private var nodes: [Node] = []
    private var values: [Double] = []
    private var roots: [Int32] = []
    private var depths: [Int32] = []
    private var width: Int = 0
    public let offset: Double
    public let scale: Double

    /// Trees in the ensemble.
    public var treeCount: Int { roots.count }
    /// Nodes over all trees.
    public var nodeCount: Int { nodes.count }

    /// Throws unless every split reads a feature of a design encoded in `width` coordinates.
    public func validate(width encoded: Int) throws {
        guard width <= encoded, nodes.allSatisfy({ $0.feature >= 0 }) else {
            throw ProxyError.invalidFile("a tree splits on feature \(width - 1), but designs have \(encoded) features")
        }
    }

    /// Compiles `trees`.
    public init(_ trees: [RegressionTree], offset: Double, scale: Double) {
        self.offset = offset
        self.scale = scale
        for tree in trees {
            let root = Int32(nodes.count)
            nodes.append(Node(threshold: .infinity, feature: 0, first: root))
            values.append(0)
            roots.append(root)
            depths.append(Int32(place(tree, node: 0, at: Int(root))))
        }
        width = Int(nodes.map(\.feature).max() ?? 0) + 1
    }

    /// Lays out the subtree of `tree` at `node` into slot `slot`; returns its depth.
    private mutating func place(_ tree: RegressionTree, node: Int, at slot: Int) -> Int {
        guard tree.feature[node] >= 0 else {
            nodes[slot] = Node(threshold: .infinity, feature: 0, first: Int32(slot))
            values[slot] = tree.value[node]
            return 0
        }
        let first = nodes.count
        nodes.append(Node(threshold: .infinity, feature: 0, first: Int32(first)))
        nodes.append(Node(threshold: .infinity, feature: 0, first: Int32(first + 1)))
        values += [0, 0]
        nodes[slot] = Node(threshold: tree.threshold[node], feature: Int32(tree.feature[node]), first: Int32(first))
        let left = place(tree, node: tree.left[node], at: first)
        let right = place(tree, node: tree.right[node], at: first + 1)
        return 1 + max(left, right)
    }

    /// The prediction for one encoded design.
    public func predict(_ features: [Double]) -> Double {
        precondition(features.count >= width, "\(features.count) features; the trees split on \(width)")
        var sum = 0.0
        nodes.withUnsafeBufferPointer { nodes in
            features.withUnsafeBufferPointer { x in
                @inline(__always) func step(_ index: Int) -> Int {
                    let node = nodes[index]
                    return Int(node.first) + (x[Int(node.feature)] > node.threshold ? 1 : 0)
                }
                // Four trees walked in step, so their memory loads overlap; a tree that reaches its leaf
                // early stays there.
                var tree = 0
                while tree + 8 <= roots.count {
                    var a = Int(roots[tree]), b = Int(roots[tree + 1]), c = Int(roots[tree + 2]), d = Int(roots[tree + 3])
                    var e = Int(roots[tree + 4]), f = Int(roots[tree + 5]), g = Int(roots[tree + 6]), h = Int(roots[tree + 7])
                    let steps = depths[tree..<(tree + 8)].max()!
                    for _ in 0..<steps {
                        a = step(a)
                        b = step(b)
                        c = step(c)
                        d = step(d)
                        e = step(e)
                        f = step(f)
                        g = step(g)
                        h = step(h)
                    }
                    sum += values[a] + values[b] + values[c] + values[d] + values[e] + values[f] + values[g] + values[h]
                    tree += 8
                }
                while tree < roots.count {
                    var index = Int(roots[tree])
                    for _ in 0..<depths[tree] { index = step(index) }
                    sum += values[index]
                    tree += 1
                }
            }
        }
        return offset + scale * sum
    }
}

extension TreeEnsemble: Codable {
    private enum CodingKeys: String, CodingKey {
        case feature, threshold, first, value, roots, depths, offset, scale
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let leaf = nodes.indices.map { nodes[$0].first == Int32($0) }
        try container.encode(nodes.indices.map { leaf[$0] ? -1 : nodes[$0].feature }, forKey: .feature)
        try container.encode(nodes.indices.map { leaf[$0] ? 0 : nodes[$0].threshold }, forKey: .threshold)
        try container.encode(nodes.map(\.first), forKey: .first)
        try container.encode(values, forKey: .value)
        try container.encode(roots, forKey: .roots)
        try container.encode(depths, forKey: .depths)
        try container.encode(offset, forKey: .offset)
        try container.encode(scale, forKey: .scale)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let feature = try container.decode([Int32].self, forKey: .feature)
        let threshold = try container.decode([Double].self, forKey: .threshold)
        let first = try container.decode([Int32].self, forKey: .first)
        values = try container.decode([Double].self, forKey: .value)
        roots = try container.decode([Int32].self, forKey: .roots)
        depths = try container.decode([Int32].self, forKey: .depths)
        offset = try container.decode(Double.self, forKey: .offset)
        scale = try container.decode(Double.self, forKey: .scale)
        let count = feature.count
        // Children come after their parent (as `place` lays them out), so every walk goes forward and ends.
        guard threshold.count == count, first.count == count, values.count == count, roots.count == depths.count,
              first.indices.allSatisfy({ feature[$0] < 0 ? first[$0] == Int32($0) : first[$0] > Int32($0) && Int(first[$0]) + 1 < count }),
              roots.allSatisfy({ $0 >= 0 && Int($0) < count }), values.allSatisfy(\.isFinite), offset.isFinite, scale.isFinite else {
            throw ProxyError.invalidFile("a tree model's arrays are inconsistent: node fields of different lengths, a child before its parent, a root outside the nodes or a value that is not finite")
        }
        // Each tree is walked exactly its depth: a stored depth must be the tree's real one.
        for (root, depth) in zip(roots, depths) {
            var deepest = 0
            var stack = [(Int(root), 0)]
            while let (node, level) = stack.popLast() {
                if feature[node] < 0 {
                    deepest = max(deepest, level)
                } else {
                    stack.append((Int(first[node]), level + 1))
                    stack.append((Int(first[node]) + 1, level + 1))
                }
            }
            guard deepest == Int(depth) else {
                throw ProxyError.invalidFile("a tree rooted at node \(root) says it is \(depth) deep but is \(deepest) deep")
            }
        }
        nodes = (0..<count).map { index in
            feature[index] < 0 ? Node(threshold: .infinity, feature: 0, first: Int32(index))
                : Node(threshold: threshold[index], feature: feature[index], first: first[index])
        }
        width = Int(nodes.map(\.feature).max() ?? 0) + 1
    }
}
