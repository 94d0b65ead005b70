import Accelerator
import Dispatch
import Foundation
import GymCore

/// The accelerator model's speeds: one explicit (layer, mapping) evaluation, the mapper on one ResNet-18
/// layer, and a whole ResNet-18 evaluation including the mapping of every layer.
func benchAccelerator() throws {
    let layer = Network.resNet18.layers[1]  // conv2_1: 64 → 64, 3×3, 56×56
    let architecture = Architecture.eyerissLike
    let mapper = Mapper()
    let mapped = try mapper.map(layer, on: architecture, dataflow: .rowStationary, seed: 1)
    measure("accelerator: evaluate one (layer, mapping)", unit: "evaluations", count: 50_000) {
        for _ in 0..<50_000 { _ = try? CostModel.evaluate(layer, mapping: mapped.mapping, on: architecture) }
    }
    var start = DispatchTime.now().uptimeNanoseconds
    for seed in 0..<10 { _ = try mapper.map(layer, on: architecture, dataflow: .rowStationary, seed: UInt64(seed)) }
    let perLayer = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / 10
    print("accelerator: mapper on ResNet-18 conv2_1".padding(toLength: 48, withPad: " ", startingAt: 0)
          + String(format: "%12.1f ms per layer (%d restarts × %d steps)", perLayer * 1e3, mapper.restarts, mapper.steps))
    let environment = try AcceleratorEnvironment(options: EnvironmentOptions(workload: "resnet18"))
    var generator = SeededGenerator(seed: 3)
    let designs = (0..<5).map { _ in environment.spec.space.sample(using: &generator) }
    start = DispatchTime.now().uptimeNanoseconds
    for design in designs { _ = environment.measure(design) }
    let perNetwork = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(designs.count)
    print("accelerator: whole ResNet-18, mapping included".padding(toLength: 48, withPad: " ", startingAt: 0)
          + String(format: "%12.3f s per design (21 layers, 12 distinct shapes)", perNetwork))
}
