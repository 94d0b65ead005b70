/// Pareto dominance, non-dominated sets and hypervolume, for reward vectors that are maximised.
public enum Pareto {
    /// Whether `a` dominates `b`: at least as good in every component and better in one.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        var strictlyBetter = false
        for (x, y) in zip(a, b) {
            if x < y { return false }
            if x > y { strictlyBetter = true }
        }
        return strictlyBetter
    }

    /// The indices of the points no other point dominates, in input order (duplicates all kept).
    public static func nonDominatedIndices(_ points: [[Double]]) -> [Int] {
        points.indices.filter { i in !points.indices.contains { j in j != i && dominates(points[j], points[i]) } }
    }

    /// The volume dominated by `points` and bounded below by `reference` (maximisation), in any number of
    /// dimensions. Points not strictly better than the reference in every component add nothing.
    public static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
        precondition(!reference.isEmpty, "hypervolume needs at least one objective")
        let useful = points.filter { point in point.count == reference.count && zip(point, reference).allSatisfy { $0 > $1 } }
        return volume(useful, reference: reference)
    }

    private static func volume(_ points: [[Double]], reference: [Double]) -> Double {
        switch reference.count {
        case 1:
            return (points.map { $0[0] }.max() ?? reference[0]) - reference[0]
        case 2:
            // Sweep by the first objective, descending; each point adds the strip its second objective
            // raises above the best seen so far.
            let sorted = points.sorted { $0[0] > $1[0] || ($0[0] == $1[0] && $0[1] > $1[1]) }
            var total = 0.0
            var bestSecond = reference[1]
            for point in sorted where point[1] > bestSecond {
                total += (point[0] - reference[0]) * (point[1] - bestSecond)
                bestSecond = point[1]
            }
            return total
        default:
            // Slice along the last objective: between consecutive levels the dominated cross-section is
            // the volume, one dimension down, of the points at or above the upper level.
            let last = reference.count - 1
            let levels = Set(points.map { $0[last] }).sorted(by: >)
            var total = 0.0
            for (index, level) in levels.enumerated() {
                let next = index + 1 < levels.count ? levels[index + 1] : reference[last]
                let slice = points.filter { $0[last] >= level }.map { Array($0.dropLast()) }
                total += volume(slice, reference: Array(reference.dropLast())) * (level - next)
            }
            return total
        }
    }
}
