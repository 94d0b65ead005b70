import Accelerator
import Foundation
import GymCore
import Supernet
import Testing
@testable import CoDesign

@Suite struct CoDesignTests {
    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("codesign-\(UUID().uuidString)").path
    /// A short training, so the test does not wait for the full one.
    static let options = ["epochs": "2", "sampler": "uniform", "cache_dir": folder]

    @Test func theSpaceIsBothSpacesUnderTheirPrefixes() throws {
        let space = CoDesignEnvironment.space
        #expect(space.names == SupernetEnvironment.space.names.map { "net." + $0 } + AcceleratorEnvironment.templateSpace.names.map { "hw." + $0 })
        let environment = try CoDesignEnvironment(options: EnvironmentOptions(values: Self.options))
        // The design specifications are limits of the default objective.
        #expect(environment.spec.defaultObjective.limits.map(\.metric) == ["latency_ms", "energy_uj", "area_mm2"])
        #expect(throws: EnvironmentError.self) { try CoDesignEnvironment(options: EnvironmentOptions(values: ["architecture": "tpu-like"])) }
        #expect(throws: EnvironmentError.self) { try CoDesignEnvironment(options: EnvironmentOptions(values: ["clock_mhz": "-1"])) }
    }

    @Test func theMetricsAreThoseOfItsTwoPartsEvaluatedSeparately() throws {
        let environment = try CoDesignEnvironment(options: EnvironmentOptions(values: Self.options))
        let design = try environment.spec.space.validate(Design([
            "net.depth_1": .int(2), "net.width_1": .double(0.75), "net.kernel_1_1": .int(3), "net.depth_2": .int(1), "net.resolution": .int(6),
            "hw.num_pes": .int(84), "hw.mesh_x": .int(7), "hw.shared_glb_depth": .int(4096), "hw.dataflow": .string("weight-stationary"),
        ].merging(environment.spec.space.defaultDesign.values) { given, _ in given }))
        let together = environment.measure(design)
        #expect(together.status == .ok, "\(together.message ?? "")")
        let (network, hardware) = CoDesignEnvironment.parts(of: design)
        // The subnet in Supernet-v1, trained the same way.
        let supernet = try SupernetEnvironment(options: EnvironmentOptions(values: Self.options)).measure(network)
        #expect(together.metrics["accuracy"] == supernet.metrics["accuracy"])
        #expect(together.metrics["macs"] == supernet.metrics["macs"] && together.metrics["parameters"] == supernet.metrics["parameters"])
        // Its layers, written as a network file, on the same hardware in Accelerator-v0: a 3×3 stem 1 → 16 on
        // 6×6, two 24-channel blocks (3×3, then 5×5) at 6×6, one 32-channel 5×5 block at 3×3, the classifier.
        let file = URL(fileURLWithPath: Self.folder).appendingPathComponent("subnet.json")
        try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
        try #"""
            {"name": "subnet", "layers": [
              {"type": "conv", "name": "stem", "in_channels": 1, "out_channels": 16, "input": 6, "kernel": 3},
              {"type": "conv", "name": "stage1_block1", "in_channels": 16, "out_channels": 24, "input": 6, "kernel": 3},
              {"type": "conv", "name": "stage1_block2", "in_channels": 24, "out_channels": 24, "input": 6, "kernel": 5},
              {"type": "conv", "name": "stage2_block1", "in_channels": 24, "out_channels": 32, "input": 3, "kernel": 5},
              {"type": "fc", "name": "classifier", "inputs": 32, "outputs": 10}]}
            """#.write(to: file, atomically: true, encoding: .utf8)
        let accelerator = try AcceleratorEnvironment(options: EnvironmentOptions(workload: file.path)).measure(hardware)
        #expect(accelerator.status == .ok)
        for metric in ["latency_ms", "energy_uj", "area_mm2", "cycles", "energy_delay", "utilization"] {
            #expect(together.metrics[metric] == accelerator.metrics[metric], "\(metric)")
        }
        #expect(accelerator.metrics["macs"] == supernet.metrics["macs"])
    }
}
