/// What one layer costs on an architecture under one mapping.
public struct LayerCost: Codable, Sendable, Equatable {
    /// Accesses and energy at one memory level.
    public struct LevelCost: Codable, Sendable, Equatable {
        public var name: String
        /// Word accesses over all instances, by operand in `Operand.allCases` order.
        public var readWords: [Int]
        public var writeWords: [Int]
        /// Energy of those accesses in pJ.
        public var energy: Double
        /// Cycles its bandwidth needs (0 when unlimited).
        public var cycles: Double
        /// Bits one instance holds at once (the tiles of its operands).
        public var occupiedBits: Int

        /// Word reads by operand (operands never read left out).
        public var reads: [Operand: Int] { Self.byOperand(readWords) }
        /// Word writes by operand (operands never written left out).
        public var writes: [Operand: Int] { Self.byOperand(writeWords) }

        private static func byOperand(_ counts: [Int]) -> [Operand: Int] {
            var result: [Operand: Int] = [:]
            for (operand, count) in zip(Operand.allCases, counts) where count > 0 { result[operand] = count }
            return result
        }
    }

    public var layer: String
    public var macs: Int
    /// Cycles with unlimited bandwidth: the product of the temporal loop bounds.
    public var computeCycles: Int
    /// max(compute cycles, every level's bandwidth-bound cycles).
    public var cycles: Double
    /// "compute" or the level whose bandwidth sets `cycles`.
    public var boundBy: String
    /// MACs × MAC energy, in pJ.
    public var macEnergy: Double
    /// Total energy in pJ: `macEnergy` plus every level's energy.
    public var energy: Double
    /// MACs ÷ (cycles × MAC units).
    public var utilization: Double
    /// Innermost first.
    public var levels: [LevelCost]
}

/// The analytical loop-nest model (the method of Timeloop, MAESTRO and ZigZag): per memory level and
/// operand, the tile is the projection of every loop at or below the level, and it is refetched from
/// the next level holding the operand each time a temporal loop above it that indexes the operand
/// advances. Loops above that do not index it keep it stationary (only those inside the first indexing
/// loop; once one indexing loop iterates, every loop outside it refetches). Spatial loops that do not
/// index an operand multicast it to the PEs (one read feeds them all), or for outputs reduce it across
/// them (one write of the sum); an input tile spread over OY and FY (or OX and FX) is the sliding-window
/// union, so neighbouring PEs' overlapping rows are read once. Outputs are written back each time their
/// tile leaves a level, and read back first every time but the first they return (read-modify-write).
/// The MACs read their operands from the innermost level holding each, once per MAC, and update the
/// innermost output level once per MAC.
///
/// Accesses are counted in words of the level (a tile of b-bit elements costs ⌈elements·b / word⌉);
/// cycles are the maximum of the compute cycles and every level's reads and writes over its bandwidth;
/// energy is MACs × MAC energy plus Σ accesses × energy per access. A tile set that overflows a level's
/// capacity makes the mapping infeasible: an error, never a number.
public enum CostModel {
    /// A mapping whose tiles do not fit a level.
    public struct Infeasible: Error, CustomStringConvertible, Equatable {
        public let level: String
        public let neededBits: Int
        public let capacityBits: Int
        public var description: String {
            "the tiles at \(level) need \(neededBits) bits, more than its capacity of \(capacityBits) bits"
        }
    }

    private struct Placed {
        var dimension: LoopDimension
        var bound: Int
        var spatial: Bool
    }

    /// The cost of `layer` under `mapping` on `architecture`; throws `Mapping.Invalid` or `Infeasible`.
    public static func evaluate(_ layer: Layer, mapping: Mapping, on architecture: Architecture) throws -> LayerCost {
        try mapping.validate(for: layer, on: architecture)
        let levels = architecture.levels
        let dimensions = LoopDimension.allCases.count

        // Loops from innermost to outermost: for each level, the spatial loops of the array dimensions it
        // is the first to share, then its own temporal loops (given outermost first). `end[l]` is the
        // position just past level l's loops; the MACs sit at position 0.
        var placed: [Placed] = []
        placed.reserveCapacity(16)
        var end: [Int] = []
        end.reserveCapacity(levels.count)
        var assigned = [Bool](repeating: false, count: architecture.array.count)
        for level in levels {
            for (position, dimension) in architecture.array.enumerated() where !assigned[position] && level.sharedAcross.contains(dimension.name) {
                assigned[position] = true
                for loop in mapping.spatial[dimension.name] ?? [] where loop.bound > 1 {
                    placed.append(Placed(dimension: loop.dimension, bound: loop.bound, spatial: true))
                }
            }
            for loop in (mapping.temporal[level.name] ?? []).reversed() where loop.bound > 1 {
                placed.append(Placed(dimension: loop.dimension, bound: loop.bound, spatial: false))
            }
            end.append(placed.count)
        }
        func endPosition(_ level: Int) -> Int { level < 0 ? 0 : end[level] }

        // Extents of every dimension over the loops below each position, and the spatial iterations at
        // or above it (the instances of a level ending there).
        var prefix = [[Int]](repeating: [Int](repeating: 1, count: dimensions), count: placed.count + 1)
        for (position, loop) in placed.enumerated() {
            prefix[position + 1] = prefix[position]
            prefix[position + 1][loop.dimension.index] *= loop.bound
        }
        var suffixInstances = [Int](repeating: 1, count: placed.count + 1)
        for position in stride(from: placed.count - 1, through: 0, by: -1) {
            suffixInstances[position] = suffixInstances[position + 1] * (placed[position].spatial ? placed[position].bound : 1)
        }
        func extents(below position: Int) -> [Int] { prefix[position] }
        func instances(from position: Int) -> Int { suffixInstances[position] }
        // Times a tile below `position` is (re)filled, per instance.
        func fills(from position: Int, of operand: Operand, stationary: Bool) -> Int {
            var count = 1
            var moving = !stationary
            for loop in placed[position...] where !loop.spatial {
                if operand.isIndexed(by: loop.dimension) { moving = true }
                if moving { count *= loop.bound }
            }
            return count
        }
        // Distinct tiles a tile below `position` takes over time, per instance.
        func distinct(from position: Int, of operand: Operand) -> Int {
            placed[position...].reduce(1) { !$1.spatial && operand.isIndexed(by: $1.dimension) ? $0 * $1.bound : $0 }
        }
        func words(_ elements: Int, _ operand: Operand, _ level: Int) -> Int {
            let bits = elements * (layer.bits(of: operand))
            let word = levels[level].wordBits
            return (bits + word - 1) / word
        }

        var reads = [[Int]](repeating: [Int](repeating: 0, count: 3), count: levels.count)
        var writes = reads
        var occupied = [Int](repeating: 0, count: levels.count)
        for (level, description) in levels.enumerated() {
            let tile = extents(below: end[level])
            for operand in description.holds { occupied[level] += layer.tileElements(of: operand, tile: tile) * (layer.bits(of: operand)) }
            if let capacity = description.capacityBits, occupied[level] > capacity {
                throw Infeasible(level: description.name, neededBits: occupied[level], capacityBits: capacity)
            }
        }

        for (operandIndex, operand) in Operand.allCases.enumerated() {
            // Each consumer (the MACs, then every level holding the operand but the outermost) and its provider.
            var consumer = -1
            for provider in levels.indices where levels[provider].holds.contains(operand) {
                defer { consumer = provider }
                let consumerEnd = endPosition(consumer), providerEnd = end[provider]
                let tile = consumer < 0 ? [Int](repeating: 1, count: dimensions) : extents(below: consumerEnd)
                let tileElements = consumer < 0 ? 1 : layer.tileElements(of: operand, tile: tile)
                // The union of the consumer instances' tiles under one provider instance: the tile grown
                // by the spatial loops between them (loops that do not index the operand change nothing).
                var union = tile
                for loop in placed[consumerEnd..<providerEnd] where loop.spatial { union[loop.dimension.index] *= loop.bound }
                let unionElements = layer.tileElements(of: operand, tile: union)
                let fillCount = fills(from: consumerEnd, of: operand, stationary: consumer >= 0)
                let providerInstances = instances(from: providerEnd)
                let consumerInstances = instances(from: consumerEnd)
                let providerWords = fillCount * words(unionElements, operand, provider) * providerInstances
                let consumerWords = consumer < 0 ? 0 : fillCount * words(tileElements, operand, consumer) * consumerInstances
                if operand == .outputs {
                    let returns = fillCount - distinct(from: consumerEnd, of: operand)
                    writes[provider][operandIndex] += providerWords
                    reads[provider][operandIndex] += providerWords / fillCount * returns
                    if consumer >= 0 {
                        reads[consumer][operandIndex] += consumerWords
                        writes[consumer][operandIndex] += consumerWords / fillCount * returns
                    }
                } else {
                    reads[provider][operandIndex] += providerWords
                    if consumer >= 0 { writes[consumer][operandIndex] += consumerWords }
                }
            }
        }

        let computeCycles = placed.reduce(1) { $1.spatial ? $0 : $0 * $1.bound }
        var cycles = Double(computeCycles)
        var boundBy = "compute"
        var levelCosts: [LayerCost.LevelCost] = []
        levelCosts.reserveCapacity(levels.count)
        var energy = Double(layer.macs) * architecture.macEnergy
        for (index, level) in levels.enumerated() {
            let readWords = reads[index].reduce(0, +), writeWords = writes[index].reduce(0, +)
            let levelEnergy = Double(readWords) * level.readEnergy + Double(writeWords) * level.writeEnergy
            let perInstance = Double(instances(from: end[index]))
            var levelCycles = 0.0
            if let bandwidth = level.readBandwidth { levelCycles = max(levelCycles, Double(readWords * level.wordBits) / perInstance / bandwidth) }
            if let bandwidth = level.writeBandwidth { levelCycles = max(levelCycles, Double(writeWords * level.wordBits) / perInstance / bandwidth) }
            if levelCycles > cycles {
                cycles = levelCycles
                boundBy = level.name
            }
            energy += levelEnergy
            levelCosts.append(LayerCost.LevelCost(name: level.name, readWords: reads[index], writeWords: writes[index],
                                                  energy: levelEnergy, cycles: levelCycles, occupiedBits: occupied[index]))
        }
        return LayerCost(layer: layer.name, macs: layer.macs, computeCycles: computeCycles, cycles: cycles, boundBy: boundBy,
                         macEnergy: Double(layer.macs) * architecture.macEnergy, energy: energy,
                         utilization: Double(layer.macs) / (cycles * Double(architecture.peCount)), levels: levelCosts)
    }
}
