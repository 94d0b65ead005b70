import GymCore

/// Which loops a dataflow unrolls over the array: for the first array dimension and the second (and any
/// further), the loop dimensions tried in order, each taking the largest divisor of its bound that still
/// fits. The later entries fill what the first leaves idle (G for depthwise layers, whose K and C are 1).
public enum Dataflow: String, CaseIterable, Codable, Sendable {
    /// K across the first dimension, C down the second: each PE keeps one weight (TPU-like systolic).
    case weightStationary = "weight-stationary"
    /// OX across, K down: each PE keeps one output's partial sum.
    case outputStationary = "output-stationary"
    /// Eyeriss's row stationary: output rows across, filter rows down, so a PE column convolves one 2-D plane.
    case rowStationary = "row-stationary"

    /// Candidate loops per array dimension (the last list serves every further dimension).
    public var candidates: [[LoopDimension]] {
        switch self {
        case .weightStationary: return [[.k, .g, .ox, .oy], [.c, .fy, .fx, .g]]
        case .outputStationary: return [[.ox, .oy, .b, .g], [.k, .g, .oy]]
        case .rowStationary: return [[.oy, .ox, .g], [.fy, .c, .k, .g]]
        }
    }
}

/// What the mapper minimises for each layer.
public enum MappingObjective: String, CaseIterable, Codable, Sendable {
    case latency, energy
    case energyDelay = "energy-delay"

    func score(_ cost: LayerCost) -> Double {
        switch self {
        case .latency: return cost.cycles
        case .energy: return cost.energy
        case .energyDelay: return cost.energy * cost.cycles
        }
    }
}

/// Finds a good mapping of one layer: the dataflow fixes the spatial unrolling; the temporal loops are
/// searched — every prime factor of what is left of each dimension is placed at some memory level, and
/// each level orders its loops — by seeded random restarts, each improved by local moves (move a factor
/// to another level, swap two loops, or order a level to keep one operand stationary), keeping only
/// mappings whose tiles fit every capacity. Deterministic for a seed.
public struct Mapper: Sendable {
    public var objective: MappingObjective
    public var restarts: Int
    public var steps: Int

    public init(objective: MappingObjective = .energyDelay, restarts: Int = 6, steps: Int = 250) {
        self.objective = objective
        self.restarts = restarts
        self.steps = steps
    }

    /// No mapping of the layer fits the architecture.
    public struct NoFeasibleMapping: Error, CustomStringConvertible, Equatable {
        public let layer: String
        public let reason: String
        public var description: String { "layer \(layer) has no mapping that fits: \(reason)" }
    }

    /// The spatial unrolling of `dataflow` for `layer` on `architecture`.
    public static func spatial(_ layer: Layer, on architecture: Architecture, dataflow: Dataflow) -> [String: [Loop]] {
        var left = LoopDimension.allCases.map { layer[$0] }
        var result: [String: [Loop]] = [:]
        for (position, dimension) in architecture.array.enumerated() {
            let candidates = dataflow.candidates[min(position, dataflow.candidates.count - 1)]
            var room = dimension.size
            var loops: [Loop] = []
            for candidate in candidates where room > 1 {
                let factor = largestDivisor(of: left[candidate.index], atMost: room)
                if factor > 1 {
                    loops.append(Loop(candidate, factor))
                    left[candidate.index] /= factor
                    room /= factor
                }
            }
            if !loops.isEmpty { result[dimension.name] = loops }
        }
        return result
    }

    static func largestDivisor(of value: Int, atMost limit: Int) -> Int {
        var best = 1
        var candidate = 1
        while candidate <= min(value, limit) {
            if value % candidate == 0 { best = candidate }
            candidate += 1
        }
        return best
    }

    static func primeFactors(_ value: Int) -> [Int] {
        var factors: [Int] = []
        var rest = value
        var divisor = 2
        while divisor * divisor <= rest {
            while rest % divisor == 0 {
                factors.append(divisor)
                rest /= divisor
            }
            divisor += 1
        }
        if rest > 1 { factors.append(rest) }
        return factors
    }

    /// A candidate: the level of every prime factor, and each level's loop order (outermost first).
    private struct State {
        var level: [Int]
        var order: [[LoopDimension]]
    }

    /// The best mapping found for `layer` and its cost; throws `NoFeasibleMapping` when no placement of
    /// the temporal factors fits every capacity.
    public func map(_ layer: Layer, on architecture: Architecture, dataflow: Dataflow, seed: UInt64) throws -> (mapping: Mapping, cost: LayerCost) {
        let spatial = Self.spatial(layer, on: architecture, dataflow: dataflow)
        var left = LoopDimension.allCases.map { layer[$0] }
        for loop in spatial.values.joined() { left[loop.dimension.index] /= loop.bound }
        // Every prime factor of what is left, with its dimension.
        let factors: [(dimension: LoopDimension, prime: Int)] = LoopDimension.allCases.flatMap { dimension in
            Self.primeFactors(left[dimension.index]).map { (dimension, $0) }
        }
        let levels = architecture.levels
        let outermost = levels.count - 1

        func mapping(_ state: State) -> Mapping {
            var temporal: [String: [Loop]] = [:]
            for (index, level) in levels.enumerated() {
                var bounds = [Int](repeating: 1, count: LoopDimension.allCases.count)
                for (factor, placed) in zip(factors, state.level) where placed == index { bounds[factor.dimension.index] *= factor.prime }
                let loops = state.order[index].compactMap { bounds[$0.index] > 1 ? Loop($0, bounds[$0.index]) : nil }
                if !loops.isEmpty { temporal[level.name] = loops }
            }
            return Mapping(spatial: spatial, temporal: temporal)
        }
        func cost(_ state: State) -> LayerCost? { try? CostModel.evaluate(layer, mapping: mapping(state), on: architecture) }

        // Everything at the outermost level: the smallest tiles. If even that does not fit, nothing does.
        let canonical: [LoopDimension] = LoopDimension.allCases
        let everythingOutside = State(level: factors.map { _ in outermost }, order: levels.map { _ in canonical })
        do {
            _ = try CostModel.evaluate(layer, mapping: mapping(everythingOutside), on: architecture)
        } catch let error as CostModel.Infeasible {
            throw NoFeasibleMapping(layer: layer.name, reason: error.description)
        }

        var generator = SeededGenerator(seed: seed)
        var best: (state: State, cost: LayerCost, score: Double)?
        for restart in 0..<max(1, restarts) {
            var state = everythingOutside
            if restart > 0 {
                // A random placement, pulled outward factor by factor until it fits.
                state.level = factors.map { _ in generator.nextInt(below: levels.count) }
                for level in state.order.indices { generator.shuffleUpward(&state.order[level]) }
                var index = 0
                while cost(state) == nil, index < factors.count {
                    state.level[index] = outermost
                    index += 1
                }
            }
            guard var current = cost(state) else { continue }
            var score = objective.score(current)
            for step in 0..<steps {
                if step % 64 == 0 { try EvaluationDeadline.check() }
                var next = state
                switch generator.nextInt(below: 3) {
                case 0 where !factors.isEmpty:
                    next.level[generator.nextInt(below: factors.count)] = generator.nextInt(below: levels.count)
                case 1:
                    let level = generator.nextInt(below: levels.count)
                    next.order[level].swapAt(generator.nextInt(below: canonical.count), generator.nextInt(below: canonical.count))
                default:
                    // Keep one operand stationary at a level: the loops that do not index it go innermost.
                    let level = generator.nextInt(below: levels.count)
                    let operand = Operand.allCases[generator.nextInt(below: Operand.allCases.count)]
                    next.order[level] = next.order[level].filter { operand.isIndexed(by: $0) } + next.order[level].filter { !operand.isIndexed(by: $0) }
                }
                guard let candidate = cost(next) else { continue }
                let candidateScore = objective.score(candidate)
                if candidateScore <= score {
                    state = next
                    current = candidate
                    score = candidateScore
                }
            }
            if best == nil || score < best!.score { best = (state, current, score) }
        }
        guard let best else { throw NoFeasibleMapping(layer: layer.name, reason: "no placement of its loops fits") }
        return (mapping(best.state), best.cost)
    }
}
