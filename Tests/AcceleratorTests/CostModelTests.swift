import Testing
@testable import Accelerator

/// A 2×2 array under a per-PE 1-weight register, a shared buffer and DRAM, all with 8-bit words, running
/// a 4×4 by 4×4 matrix product (K = C = OX = 4, 8-bit operands: one element per word).
@Suite struct CostModelTests {
    static let layer = Layer(name: "gemm", bounds: [.k: 4, .c: 4, .ox: 4], bits: [.weights: 8, .inputs: 8, .outputs: 8])

    static func architecture(bufferBits: Int = 1024, bufferReadBandwidth: Double? = nil) -> Architecture {
        Architecture(name: "tiny", array: [.init(name: "X", size: 2), .init(name: "Y", size: 2)], macEnergy: 0.5, macArea: 0.001, levels: [
            .init(name: "reg", holds: [.weights], capacityBits: 8, wordBits: 8, readEnergy: 1, writeEnergy: 1, sharedAcross: [], area: 0.0001),
            .init(name: "buffer", holds: [.weights, .inputs, .outputs], capacityBits: bufferBits, wordBits: 8, readEnergy: 10, writeEnergy: 10,
                  readBandwidth: bufferReadBandwidth, sharedAcross: ["X", "Y"], area: 0.01),
            .init(name: "DRAM", holds: [.weights, .inputs, .outputs], capacityBits: nil, wordBits: 8, readEnergy: 100, writeEnergy: 100,
                  sharedAcross: ["X", "Y"]),
        ])
    }

    /// Weight-stationary: K over X, C over Y; the buffer iterates K, then C, then OX innermost.
    static let weightStationary = Mapping(spatial: ["X": [Loop(.k, 2)], "Y": [Loop(.c, 2)]],
                                          temporal: ["buffer": [Loop(.k, 2), Loop(.c, 2), Loop(.ox, 4)]])

    @Test func accessesCyclesAndEnergyByHand() throws {
        let cost = try CostModel.evaluate(Self.layer, mapping: Self.weightStationary, on: Self.architecture())
        // 64 MACs in 2·2·4 = 16 cycles on 4 PEs.
        #expect(cost.macs == 64 && cost.computeCycles == 16 && cost.cycles == 16 && cost.utilization == 1)
        let reg = cost.levels[0], buffer = cost.levels[1], dram = cost.levels[2]
        // reg: each MAC reads its weight (64); a weight is loaded when C or K advances above it: 2·2 = 4
        // times per PE, 16 writes.
        #expect(reg.reads == [.weights: 64] && reg.writes == [.weights: 16])
        // buffer, weights: each load of the 4 PEs' registers reads 4 distinct weights, 4 times: 16 — every
        // weight read exactly once, the point of weight stationarity; written once from DRAM: 16.
        // Inputs: each cycle the 2 inputs of the 2 C rows are read and multicast along K: 16·2 = 32.
        // Outputs: each cycle 2 partial sums (K pair, reduced over C) are written: 32; the 8·2 = 16 written
        // when c = 1 are read back first: 16; plus the 16 finished outputs read out to DRAM: 32 reads.
        #expect(buffer.reads == [.weights: 16, .inputs: 32, .outputs: 32])
        #expect(buffer.writes == [.weights: 16, .inputs: 16, .outputs: 32])
        // DRAM: every weight and input read once, every output written once.
        #expect(dram.reads == [.weights: 16, .inputs: 16] && dram.writes == [.outputs: 16])
        // Energy: reg 80·1 + buffer (80 + 64)·10 + DRAM 48·100 + MACs 64·0.5 = 80 + 1440 + 4800 + 32 = 6352 pJ.
        #expect(reg.energy == 80 && buffer.energy == 1440 && dram.energy == 4800 && cost.macEnergy == 32)
        #expect(cost.energy == 6352)
        #expect(cost.levels.map(\.occupiedBits) == [8, 48 * 8, 48 * 8])
    }

    @Test func bandwidthBoundsTheCycles() throws {
        // The buffer reads 80 words of 8 bits; at 32 bits per cycle that takes 20 cycles > 16.
        let cost = try CostModel.evaluate(Self.layer, mapping: Self.weightStationary, on: Self.architecture(bufferReadBandwidth: 32))
        #expect(cost.cycles == 20 && cost.boundBy == "buffer" && cost.utilization == 0.8)
        // More bandwidth never costs cycles.
        var previous = Double.infinity
        for bandwidth in [8.0, 16, 32, 64, 128, 1024] {
            let cycles = try CostModel.evaluate(Self.layer, mapping: Self.weightStationary, on: Self.architecture(bufferReadBandwidth: bandwidth)).cycles
            #expect(cycles <= previous && cycles >= 16)
            previous = cycles
        }
    }

    @Test func outputsLeaveForDRAMOnceUnlessAReductionLoopSitsAbove() throws {
        // A buffer of 32 words holds part of the layer; DRAM iterates the rest.
        let small = Self.architecture(bufferBits: 32 * 8)
        // Output-stationary at the buffer: DRAM iterates K (not a reduction); C stays inside.
        let outputStationary = Mapping(spatial: ["X": [Loop(.k, 2)], "Y": [Loop(.c, 2)]],
                                       temporal: ["DRAM": [Loop(.k, 2)], "buffer": [Loop(.c, 2), Loop(.ox, 4)]])
        let good = try CostModel.evaluate(Self.layer, mapping: outputStationary, on: small)
        #expect(good.levels[2].writes[.outputs] == 16 && good.levels[2].reads[.outputs] == nil)
        // With C above the buffer and K inside it, the buffer's outputs (8 of them) change with K, so each
        // output leaves twice (once per C step) and returns once: 4 tiles · 8 = 32 writes, 2 · 8 = 16 reads.
        let reducing = Mapping(spatial: ["X": [Loop(.k, 2)], "Y": [Loop(.c, 2)]],
                               temporal: ["DRAM": [Loop(.c, 2), Loop(.k, 2)], "buffer": [Loop(.ox, 4)]])
        let bad = try CostModel.evaluate(Self.layer, mapping: reducing, on: small)
        #expect(bad.levels[2].writes[.outputs] == 32 && bad.levels[2].reads[.outputs] == 16)
        #expect(bad.energy > good.energy)
    }

    @Test func capacityViolationsAreInfeasibleAndBadMappingsAreNamed() throws {
        // Two weights in a one-weight register.
        let tooBig = Mapping(spatial: ["X": [Loop(.k, 2)], "Y": [Loop(.c, 2)]],
                             temporal: ["reg": [Loop(.c, 2)], "buffer": [Loop(.k, 2), Loop(.ox, 4)]])
        #expect(throws: CostModel.Infeasible(level: "reg", neededBits: 16, capacityBits: 8)) {
            try CostModel.evaluate(Self.layer, mapping: tooBig, on: Self.architecture())
        }
        #expect(throws: CostModel.Infeasible(level: "buffer", neededBits: 384, capacityBits: 256)) {
            try CostModel.evaluate(Self.layer, mapping: Self.weightStationary, on: Self.architecture(bufferBits: 256))
        }
        let short = Mapping(spatial: ["X": [Loop(.k, 2)]], temporal: ["buffer": [Loop(.k, 2), Loop(.ox, 4)]])
        #expect(throws: Mapping.Invalid(description: "the loops over C multiply to 1, but layer gemm has C = 4")) {
            try CostModel.evaluate(Self.layer, mapping: short, on: Self.architecture())
        }
        let wide = Mapping(spatial: ["X": [Loop(.k, 4)], "Y": [Loop(.c, 2)]], temporal: ["buffer": [Loop(.c, 2), Loop(.ox, 4)]])
        #expect(throws: Mapping.Invalid(description: "mapping unrolls 4 iterations over array dimension X of size 2")) {
            try CostModel.evaluate(Self.layer, mapping: wide, on: Self.architecture())
        }
        let unknown = Mapping(temporal: ["L2": [Loop(.k, 4)]])
        #expect(throws: Mapping.Invalid.self) { try CostModel.evaluate(Self.layer, mapping: unknown, on: Self.architecture()) }
    }

    @Test func slidingWindowInputsAreReadOncePerUnionOfRows() throws {
        // A 1-D convolution, 4 outputs of a 3-tap filter (6 inputs), with OX unrolled over X (4 PEs) and
        // FX in time: the 4 PEs read inputs ox + fx; per fx step the union is 4 distinct inputs.
        let layer = Layer(name: "conv1d", bounds: [.ox: 4, .fx: 3], bits: [.weights: 8, .inputs: 8, .outputs: 8])
        let architecture = Architecture(name: "row", array: [.init(name: "X", size: 4)], macEnergy: 1, macArea: 0, levels: [
            .init(name: "buffer", holds: [.weights, .inputs, .outputs], capacityBits: 1024, wordBits: 8, readEnergy: 1, writeEnergy: 1, sharedAcross: ["X"]),
            .init(name: "DRAM", holds: [.weights, .inputs, .outputs], capacityBits: nil, wordBits: 8, readEnergy: 1, writeEnergy: 1, sharedAcross: ["X"]),
        ])
        let cost = try CostModel.evaluate(layer, mapping: Mapping(spatial: ["X": [Loop(.ox, 4)]], temporal: ["buffer": [Loop(.fx, 3)]]), on: architecture)
        // Inputs: 3 steps × 4 distinct; weights: 3 steps × 1 (multicast); outputs: 3 × 4 updates, 8 read back.
        #expect(cost.levels[0].reads == [.inputs: 12, .weights: 3, .outputs: 8 + 4])
        // DRAM holds 6 inputs: (4 − 1)·1 + 3.
        #expect(cost.levels[1].reads == [.inputs: 6, .weights: 3] && cost.levels[1].writes == [.outputs: 4])
    }
}
