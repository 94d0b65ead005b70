import GymCore

/// An evaluated design in a population: its reward vector, or nil when it failed or broke a constraint.
struct Individual: Codable, Hashable {
    var design: Design
    var rewards: [Double]?
}

/// Non-dominated sorting and crowding distance (Deb et al. 2002, NSGA-II), on maximised reward vectors.
/// Individuals without rewards form the last front.
enum NonDominatedSorting {
    /// The fronts, best first, as indices into `individuals`.
    static func fronts(_ individuals: [Individual]) -> [[Int]] {
        let scored = individuals.indices.filter { individuals[$0].rewards != nil }
        let unscored = individuals.indices.filter { individuals[$0].rewards == nil }
        var dominatedBy = [Int: [Int]]()
        var dominationCount = [Int: Int]()
        var fronts: [[Int]] = [[]]
        for p in scored {
            dominationCount[p] = 0
            for q in scored where q != p {
                if Pareto.dominates(individuals[p].rewards!, individuals[q].rewards!) {
                    dominatedBy[p, default: []].append(q)
                } else if Pareto.dominates(individuals[q].rewards!, individuals[p].rewards!) {
                    dominationCount[p]! += 1
                }
            }
            if dominationCount[p] == 0 { fronts[0].append(p) }
        }
        var current = 0
        while current < fronts.count && !fronts[current].isEmpty {
            var next: [Int] = []
            for p in fronts[current] {
                for q in dominatedBy[p] ?? [] {
                    dominationCount[q]! -= 1
                    if dominationCount[q] == 0 { next.append(q) }
                }
            }
            current += 1
            if !next.isEmpty { fronts.append(next.sorted()) }
        }
        fronts = fronts.filter { !$0.isEmpty }
        if !unscored.isEmpty { fronts.append(unscored) }
        return fronts
    }

    /// The crowding distance of each member of one front (infinite at the extremes of any objective).
    static func crowding(_ front: [Int], in individuals: [Individual]) -> [Int: Double] {
        var distance = Dictionary(uniqueKeysWithValues: front.map { ($0, 0.0) })
        guard let dimension = front.first.flatMap({ individuals[$0].rewards?.count }), front.count > 2 else {
            for index in front { distance[index] = .infinity }
            return distance
        }
        for objective in 0..<dimension {
            let sorted = front.sorted { individuals[$0].rewards![objective] < individuals[$1].rewards![objective] }
            let low = individuals[sorted.first!].rewards![objective]
            let high = individuals[sorted.last!].rewards![objective]
            distance[sorted.first!] = .infinity
            distance[sorted.last!] = .infinity
            guard high > low else { continue }
            for position in 1..<(sorted.count - 1) {
                let gap = individuals[sorted[position + 1]].rewards![objective] - individuals[sorted[position - 1]].rewards![objective]
                distance[sorted[position]]! += gap / (high - low)
            }
        }
        return distance
    }
}
