import Foundation
import GymCore
import Testing
@testable import Accelerator

@Suite struct AcceleratorEnvironmentTests {
    static func temporary(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("accelerator-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The 2×2 example of `CostModelTests`, as the files a user would write.
    static let architectureJSON = """
        {"name": "tiny", "array": [{"name": "X", "size": 2}, {"name": "Y", "size": 2}], "macEnergy": 0.5, "macArea": 0.001,
         "levels": [
           {"name": "reg", "holds": ["weights"], "capacityBits": 8, "wordBits": 8, "readEnergy": 1, "writeEnergy": 1, "sharedAcross": [], "area": 0.0001},
           {"name": "buffer", "holds": ["weights", "inputs", "outputs"], "capacityBits": 1024, "wordBits": 8, "readEnergy": 10, "writeEnergy": 10,
            "sharedAcross": ["X", "Y"], "area": 0.01},
           {"name": "DRAM", "holds": ["weights", "inputs", "outputs"], "wordBits": 8, "readEnergy": 100, "writeEnergy": 100, "sharedAcross": ["X", "Y"], "area": 0}
         ]}
        """
    static let mappingJSON = #"{"spatial": {"X": [["K", 2]], "Y": [["C", 2]]}, "temporal": {"buffer": [["K", 2], ["C", 2], ["OX", 4]]}}"#
    static let networkJSON = #"{"name": "one-gemm", "bits": {"weights": 8, "inputs": 8, "outputs": 8}, "layers": [{"type": "gemm", "name": "g", "m": 4, "n": 4, "k": 4}]}"#

    @Test func anExplicitMappingFromFilesIsEvaluatedExactly() throws {
        let options = EnvironmentOptions(workload: try Self.temporary("net.json", Self.networkJSON), values: [
            "architecture": try Self.temporary("arch.json", Self.architectureJSON), "mapping": try Self.temporary("map.json", Self.mappingJSON),
        ])
        let environment = try AcceleratorEnvironment(options: options)
        #expect(environment.spec.space.names == ["dataflow"])
        let evaluation = environment.measure(environment.spec.space.defaultDesign)
        #expect(evaluation.status == .ok, "\(evaluation.message ?? "")")
        // As computed by hand in CostModelTests: 16 cycles, 6,352 pJ, every PE busy; area 4·0.001 + 4·0.0001 + 0.01.
        #expect(evaluation.metrics["cycles"] == 16 && evaluation.metrics["utilization"] == 1)
        #expect(abs(evaluation.metrics["energy_uj"]! - 0.006352) < 1e-15)
        #expect(abs(evaluation.metrics["area_mm2"]! - 0.0144) < 1e-15)
        // DRAM: 32 reads and 16 writes of 100 pJ; MACs 64 · 0.5 pJ.
        #expect(evaluation.metrics["dram_accesses"] == 48 && abs(evaluation.metrics["energy_dram_uj"]! - 0.0048) < 1e-15)
        #expect(abs(evaluation.metrics["energy_mac_uj"]! - 0.000032) < 1e-15)
    }

    @Test func yamlFilesDescribeTheSameThings() throws {
        let architecture = """
            name: tiny
            array: [{name: X, size: 2}, {name: Y, size: 2}]
            macEnergy: 0.5
            macArea: 0.001
            levels:
              - {name: reg, holds: [weights], capacityBits: 8, wordBits: 8, readEnergy: 1, writeEnergy: 1, sharedAcross: [], area: 0.0001}
              - {name: buffer, holds: [weights, inputs, outputs], capacityBits: 1024, wordBits: 8, readEnergy: 10, writeEnergy: 10, sharedAcross: [X, Y], area: 0.01}
              - {name: DRAM, holds: [weights, inputs, outputs], wordBits: 8, readEnergy: 100, writeEnergy: 100, sharedAcross: [X, Y], area: 0}
            """
        let mapping = """
            spatial: {X: [[K, 2]], Y: [[C, 2]]}
            temporal:
              buffer: [[K, 2], [C, 2], [OX, 4]]
            """
        let network = """
            name: one-gemm
            bits: {weights: 8, inputs: 8, outputs: 8}
            layers:
              - {type: gemm, name: g, m: 4, n: 4, k: 4}
            """
        let fromYAML = try AcceleratorEnvironment(options: EnvironmentOptions(workload: try Self.temporary("net.yaml", network), values: [
            "architecture": try Self.temporary("arch.yml", architecture), "mapping": try Self.temporary("map.yaml", mapping),
        ]))
        let fromJSON = try AcceleratorEnvironment(options: EnvironmentOptions(workload: try Self.temporary("net.json", Self.networkJSON), values: [
            "architecture": try Self.temporary("arch.json", Self.architectureJSON), "mapping": try Self.temporary("map.json", Self.mappingJSON),
        ]))
        let design = fromJSON.spec.space.defaultDesign
        #expect(fromYAML.measure(design).metrics == fromJSON.measure(design).metrics)
        #expect(fromYAML.measure(design).metrics["energy_uj"] != nil)
    }

    @Test func badFilesAndOptionsAreNamed() throws {
        let network = try Self.temporary("net.json", Self.networkJSON)
        func message(_ values: [String: String], workload: String? = nil) -> String {
            do {
                _ = try AcceleratorEnvironment(options: EnvironmentOptions(workload: workload ?? network, values: values))
                return "accepted"
            } catch {
                return String(describing: error)
            }
        }
        #expect(message(["architecture": "no-such-preset"]).contains("not a preset (eyeriss-like, output-stationary, tpu-like) nor an existing file"))
        #expect(message(["mapping": "x.json"]).contains("an explicit mapping needs a fixed architecture"))
        #expect(message(["mapper_objective": "speed"]).contains("expected one of latency, energy, energy-delay"))
        let lopsided = try Self.temporary("bad.json", Self.architectureJSON.replacingOccurrences(of: #""sharedAcross": ["X", "Y"], "area": 0.01"#, with: #""sharedAcross": [], "area": 0.01"#)
            .replacingOccurrences(of: #""sharedAcross": ["X", "Y"], "area": 0}"#, with: #""sharedAcross": ["X"], "area": 0}"#))
        #expect(message(["architecture": lopsided]).contains("the outermost level must be shared across the whole array"))
        // A mapping that does not multiply out to the layer is an error of the option, naming the layer.
        let short = try Self.temporary("short.json", #"{"temporal": {"buffer": [["K", 4]]}}"#)
        let environment = try AcceleratorEnvironment(options: EnvironmentOptions(workload: network, values: ["architecture": try Self.temporary("a.json", Self.architectureJSON), "mapping": short]))
        let evaluation = environment.measure(environment.spec.space.defaultDesign)
        #expect(evaluation.status == .failed && evaluation.message?.contains("layer g: the loops over C multiply to 1") == true)
    }

    @Test func aLayerThatFitsNowhereMakesTheDesignInfeasible() throws {
        // 16-bit weights cannot sit in an 8-bit register, whatever the mapping.
        let network = try Self.temporary("net16.json", #"{"layers": [{"type": "gemm", "name": "wide", "m": 4, "n": 4, "k": 4}]}"#)
        let environment = try AcceleratorEnvironment(options: EnvironmentOptions(workload: network, values: ["architecture": try Self.temporary("a.json", Self.architectureJSON)]))
        let evaluation = environment.measure(environment.spec.space.defaultDesign)
        #expect(evaluation.status == .infeasible)
        #expect(evaluation.message == "layer wide has no mapping that fits: the tiles at reg need 16 bits, more than its capacity of 8 bits")
        #expect(evaluation.metrics.isEmpty)
    }

    @Test func wholeNetworksAreMappedDeterministicallyWithSaneTotals() throws {
        let environment = try AcceleratorEnvironment(options: EnvironmentOptions(workload: "resnet18"))
        let design = environment.spec.space.defaultDesign
        let first = environment.measure(design), second = environment.measure(design)
        #expect(first.status == .ok && first.metrics == second.metrics)
        let metrics = first.metrics
        #expect(metrics["macs"] == 1_814_073_344)
        // Energy parts add up; utilization is a fraction; the cycles cannot beat the MACs spread over 168 PEs.
        #expect(abs(metrics["energy_mac_uj"]! + metrics["energy_onchip_uj"]! + metrics["energy_dram_uj"]! - metrics["energy_uj"]!) < 1e-9 * metrics["energy_uj"]!)
        #expect(metrics["utilization"]! > 0 && metrics["utilization"]! <= 1)
        #expect(metrics["cycles"]! >= 1_814_073_344 / 168)
        // MAC energy is 1.2 pJ per MAC.
        #expect(abs(metrics["energy_mac_uj"]! - 1_814_073_344 * 1.2e-6) < 1e-6)
        guard case .array(let layers) = first.details["layers"] else { Issue.record("no per-layer details"); return }
        #expect(layers.count == Network.resNet18.layers.count)
        // Per-layer energies add up to the total.
        let sum = layers.reduce(0.0) { total, layer in
            guard case .object(let fields) = layer, case .number(let energy) = fields["energy_pj"] else { return .nan }
            return total + energy
        }
        #expect(abs(sum / 1e6 - metrics["energy_uj"]!) < 1e-9 * metrics["energy_uj"]!)
    }

    @Test func moreProcessingElementsNeverCostArea() throws {
        let environment = try AcceleratorEnvironment(options: EnvironmentOptions(workload: "alexnet"))
        var previous = 0.0
        for pes in stride(from: 14, through: 336, by: 42) {
            var design = environment.spec.space.defaultDesign
            design["num_pes"] = .int(pes)
            let area = environment.architecture(for: design).area
            #expect(area > previous)
            previous = area
        }
    }
}

@Suite struct MapperTests {
    @Test func theMapperIsDeterministicFeasibleAndBeatsTheTrivialMapping() throws {
        let layer = Network.resNet18.layers[1]
        let architecture = Architecture.eyerissLike
        let mapper = Mapper(objective: .energy, restarts: 3, steps: 150)
        let a = try mapper.map(layer, on: architecture, dataflow: .rowStationary, seed: 4)
        let b = try mapper.map(layer, on: architecture, dataflow: .rowStationary, seed: 4)
        #expect(a.mapping == b.mapping && a.cost == b.cost)
        try a.mapping.validate(for: layer, on: architecture)
        #expect(try CostModel.evaluate(layer, mapping: a.mapping, on: architecture) == a.cost)
        // Everything iterated at DRAM (tiles of one element) is the mapper's starting point; it must do far better.
        let spatial = Mapper.spatial(layer, on: architecture, dataflow: .rowStationary)
        var left = LoopDimension.allCases.map { layer[$0] }
        for loop in spatial.values.joined() { left[loop.dimension.index] /= loop.bound }
        let trivial = Mapping(spatial: spatial, temporal: ["DRAM": LoopDimension.allCases.compactMap { left[$0.index] > 1 ? Loop($0, left[$0.index]) : nil }])
        let start = try CostModel.evaluate(layer, mapping: trivial, on: architecture)
        #expect(a.cost.energy < start.energy / 5)
    }

    @Test func spatialUnrollingFollowsTheDataflowAndFitsTheArray() {
        let conv = Network.resNet18.layers[1]  // 64 → 64, 3×3, 56×56
        // Row stationary on 14 × 12: 14 output rows across; 3 filter rows and then 4 input channels down.
        #expect(Mapper.spatial(conv, on: .eyerissLike, dataflow: .rowStationary) == ["X": [Loop(.oy, 14)], "Y": [Loop(.fy, 3), Loop(.c, 4)]])
        // Weight stationary on 16 × 16: 16 output channels across, 16 input channels down.
        #expect(Mapper.spatial(conv, on: .tpuLike, dataflow: .weightStationary) == ["X": [Loop(.k, 16)], "Y": [Loop(.c, 16)]])
        // A depthwise layer has K = C = 1: weight stationary falls back to the groups.
        let depthwise = Network.mobileNetV2.layers[1]
        #expect(Mapper.spatial(depthwise, on: .tpuLike, dataflow: .weightStationary)["X"] == [Loop(.g, 16)])
    }

    @Test func randomValidMappingsKeepTheInvariants() throws {
        // Random layers and random placements of their loops on the three presets: energy is the sum of
        // its parts, utilisation at most 1, every weight and input leaves DRAM at least once and every
        // output reaches it at least once, and cycles are at least MACs over the PEs used.
        var generator = SeededGenerator(seed: 17)
        var checked = 0
        for _ in 0..<300 {
            let layer = Layer.convolution("r", 1 + generator.nextInt(below: 8), 1 + generator.nextInt(below: 8), size: 3 + generator.nextInt(below: 10),
                                          kernel: [1, 3][generator.nextInt(below: 2)], stride: 1 + generator.nextInt(below: 2))
            let architecture = [Architecture.eyerissLike, .tpuLike, .outputStationary][generator.nextInt(below: 3)]
            let dataflow = Dataflow.allCases[generator.nextInt(below: 3)]
            let spatial = Mapper.spatial(layer, on: architecture, dataflow: dataflow)
            var left = LoopDimension.allCases.map { layer[$0] }
            for loop in spatial.values.joined() { left[loop.dimension.index] /= loop.bound }
            var temporal: [String: [Loop]] = [:]
            for dimension in LoopDimension.allCases.shuffled(using: &generator) {
                for prime in Mapper.primeFactors(left[dimension.index]) {
                    temporal[architecture.levels[generator.nextInt(below: architecture.levels.count)].name, default: []].append(Loop(dimension, prime))
                }
            }
            guard let cost = try? CostModel.evaluate(layer, mapping: Mapping(spatial: spatial, temporal: temporal), on: architecture) else { continue }
            checked += 1
            #expect(abs(cost.macEnergy + cost.levels.reduce(0) { $0 + $1.energy } - cost.energy) <= 1e-9 * cost.energy)
            #expect(cost.utilization <= 1 + 1e-12)
            let dram = cost.levels.last!
            let wordBits = Double(architecture.levels.last!.wordBits)
            #expect(Double(dram.reads[.weights] ?? 0) >= (Double(layer.elements(of: .weights) * 16) / wordBits).rounded(.up))
            #expect(Double(dram.writes[.outputs] ?? 0) >= (Double(layer.elements(of: .outputs) * 16) / wordBits).rounded(.up))
            #expect((dram.reads[.inputs] ?? 0) >= 1)
            #expect(cost.cycles * Double(architecture.peCount) >= Double(layer.macs))
        }
        #expect(checked > 50)
    }
}
