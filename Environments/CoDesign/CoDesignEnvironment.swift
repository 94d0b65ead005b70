import Accelerator
import Foundation
import GymCore
import Supernet

/// `CoDesign-v0`: a network and the accelerator that runs it, chosen together, as NASAIC does (Yang et al.,
/// "Co-exploration of neural architectures and heterogeneous ASIC accelerator designs targeting multiple
/// tasks", DAC 2020): one design picks a `Supernet-v1` subnet (the `net.` knobs) and an `Accelerator-v0`
/// architecture on its Eyeriss-like template (the `hw.` knobs). The subnet's accuracy comes from the
/// supernet's inherited weights; its latency, energy and area from its layers mapped on that architecture.
/// Design specifications are limits of the objective, as NASAIC's are constraints of its search.
public struct CoDesignEnvironment: Environment {
    public static let id = "CoDesign-v0"
    static let networkPrefix = "net.", hardwarePrefix = "hw."
    /// The supernet's options this environment passes on (its latency options are this environment's job).
    static let supernetOptions: Set<String> = ["sampler", "epochs", "training_seed", "cache_dir", "subset", "subset_sampling"]
    /// The accelerator's options it passes on (the hardware is the design's, so no fixed architecture or mapping).
    static let acceleratorOptions: Set<String> = ["mapper_objective", "mapper_restarts", "mapper_steps", "clock_mhz"]

    public static let metrics: [MetricSpec] = [
        MetricSpec(name: "accuracy", unit: "%", goal: .maximize, summary: "top-1 accuracy of the subnet on the 360 held-out digits, with inherited weights"),
        MetricSpec(name: "latency_ms", unit: "ms", goal: .minimize, summary: "the subnet's layers on the architecture, each mapped by the mapper, at the clock"),
        MetricSpec(name: "energy_uj", unit: "µJ", goal: .minimize, summary: "energy of one image: MACs and every memory access"),
        MetricSpec(name: "area_mm2", unit: "mm²", goal: .minimize, summary: "the architecture's MACs and on-chip storage"),
        MetricSpec(name: "cycles", unit: "cycles", goal: .minimize, summary: "cycles of one image over all layers"),
        MetricSpec(name: "energy_delay", unit: "µJ·ms", goal: .minimize, summary: "energy × latency"),
        MetricSpec(name: "utilization", unit: "1", goal: .maximize, summary: "MACs ÷ (cycles × MAC units)"),
        MetricSpec(name: "macs", unit: "MACs", goal: .minimize, summary: "multiply-accumulates of the subnet per image"),
        MetricSpec(name: "parameters", unit: "parameters", goal: .minimize, summary: "weights and biases the subnet uses"),
    ]

    /// Both spaces, each parameter's name behind its part's prefix.
    public static let space: ParameterSpace = {
        func prefixed(_ space: ParameterSpace, _ prefix: String) -> [Parameter] {
            space.parameters.map { parameter in
                var copy = parameter
                copy.name = prefix + parameter.name
                return copy
            }
        }
        return ParameterSpace(prefixed(SupernetEnvironment.space, networkPrefix) + prefixed(AcceleratorEnvironment.templateSpace, hardwarePrefix))
    }()

    /// NASAIC-style specifications for one digit at the default clock (200 MHz): at most 50 µs, 10 µJ and
    /// 2.5 mm². The largest subnet on the default architecture breaks all three (0.33 ms, 59 µJ, 2.7 mm²);
    /// 2 of 1,000 random designs meet them.
    public static let specifications = "accuracy:max;latency_ms<=0.05;energy_uj<=10;area_mm2<=2.5"

    public let spec: EnvironmentSpec
    let supernet: SupernetEnvironment
    let mapper: Mapper
    let clockMHz: Double

    public init(options given: EnvironmentOptions) throws {
        let values = given.values
        supernet = try SupernetEnvironment(options: EnvironmentOptions(values: values.filter { Self.supernetOptions.contains($0.key) }))
        (mapper, clockMHz) = try AcceleratorEnvironment.mapperOptions(values.filter { Self.acceleratorOptions.contains($0.key) })
        let options = supernet.spec.options.filter { Self.supernetOptions.contains($0.key) }
            + AcceleratorEnvironment.optionSpecs.filter { Self.acceleratorOptions.contains($0.key) }
        var spec = EnvironmentSpec(
            id: Self.id, summary: "a Supernet-v1 subnet and an Accelerator-v0 architecture chosen together: accuracy, latency, energy, area",
            space: Self.space, metrics: Self.metrics, workloads: supernet.spec.workloads, workload: supernet.spec.workload, options: options,
            defaultObjective: try Objective.parse(Self.specifications),
            suggestedObjectives: [
                "accuracy-vs-energy-delay": Objective(kind: .pareto, terms: [.init(metric: "accuracy", goal: .maximize), .init(metric: "energy_delay", goal: .minimize)]),
                "accuracy-latency-energy": Objective(kind: .pareto, terms: [.init(metric: "accuracy", goal: .maximize), .init(metric: "latency_ms", goal: .minimize),
                                                                              .init(metric: "energy_uj", goal: .minimize)]),
                "accuracy-vs-area": Objective(kind: .pareto, terms: [.init(metric: "accuracy", goal: .maximize), .init(metric: "area_mm2", goal: .minimize)]),
            ])
        spec.workload = try spec.resolveWorkload(given)
        self.spec = spec
    }

    /// The two halves of a design: the subnet's and the architecture's, under their own parameter names.
    public static func parts(of design: Design) -> (network: Design, hardware: Design) {
        func part(_ prefix: String) -> Design {
            Design(Dictionary(uniqueKeysWithValues: design.values.compactMap { name, value in
                name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), value) : nil
            }))
        }
        return (part(networkPrefix), part(hardwarePrefix))
    }

    public func evaluate(_ design: Design) throws -> Evaluation {
        let (network, hardware) = Self.parts(of: try spec.space.validate(design))
        let subnet = SupernetEnvironment.subnet(network)
        let layers = Network(name: "subnet", summary: "the design's subnet", layers: SupernetEnvironment.acceleratorLayers(subnet))
        let dataflow = Dataflow(rawValue: hardware["dataflow"]?.string ?? "") ?? .rowStationary
        let cost = try AcceleratorEnvironment.evaluate(layers, on: AcceleratorEnvironment.templateArchitecture(for: hardware), dataflow: dataflow,
                                                       mapper: mapper, clockMHz: clockMHz)
        // A subnet that no mapping fits on the architecture is infeasible whatever its accuracy.
        guard cost.status == .ok else { return cost }
        let (model, test) = try supernet.trained()
        var metrics = cost.metrics.filter { name, _ in Self.metrics.contains { $0.name == name } }
        metrics["accuracy"] = 100 * model.accuracy(subnet, images: test.images, labels: test.labels)
        metrics["macs"] = Double(subnet.macs)
        metrics["parameters"] = Double(subnet.parameters)
        var details = cost.details
        details["weights"] = .string(supernet.trainingKey)
        return Evaluation(metrics: metrics, details: details)
    }
}
