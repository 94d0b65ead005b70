import Foundation
import GymCore
import GymFiles

/// `Accelerator-v0`: a DNN accelerator evaluated over whole networks with the analytical loop-nest
/// model, each layer mapped by the mapper (or by a given mapping).
///
/// The design space is ArchGym's Timeloop space on an Eyeriss-like template — number of PEs, mesh
/// width, and for each scratchpad and the global buffer its class, depth, block size and bandwidths,
/// plus the buffer's banks — and the dataflow. With `--option architecture=<file or preset>` the
/// hardware is fixed and only the dataflow remains; with `--option mapping=<file>` as well, the
/// mapping is given instead of searched.
public struct AcceleratorEnvironment: Environment {
    public static let id = "Accelerator-v0"

    public static let metrics: [MetricSpec] = [
        MetricSpec(name: "cycles", unit: "cycles", goal: .minimize, summary: "cycles over all layers, each bound by compute or bandwidth"),
        MetricSpec(name: "latency_ms", unit: "ms", goal: .minimize, summary: "cycles at the clock (option clock_mhz)"),
        MetricSpec(name: "energy_uj", unit: "µJ", goal: .minimize, summary: "energy over all layers: MACs and every memory access"),
        MetricSpec(name: "area_mm2", unit: "mm²", goal: .minimize, summary: "MACs and on-chip storage"),
        MetricSpec(name: "utilization", unit: "1", goal: .maximize, summary: "MACs ÷ (cycles × MAC units)"),
        MetricSpec(name: "energy_delay", unit: "µJ·ms", goal: .minimize, summary: "energy × latency"),
        MetricSpec(name: "energy_mac_uj", unit: "µJ", goal: .minimize, summary: "energy of the MACs"),
        MetricSpec(name: "energy_onchip_uj", unit: "µJ", goal: .minimize, summary: "energy of on-chip storage accesses"),
        MetricSpec(name: "energy_dram_uj", unit: "µJ", goal: .minimize, summary: "energy of DRAM accesses"),
        MetricSpec(name: "dram_accesses", unit: "words", goal: .minimize, summary: "DRAM word reads and writes"),
        MetricSpec(name: "macs", unit: "MACs", goal: .minimize, summary: "multiply-accumulates of the network (a property of the workload)"),
    ]

    public static let optionSpecs: [OptionSpec] = [
        OptionSpec(key: "architecture", summary: "fixed hardware: an architecture JSON or YAML file or a preset (\(presets.keys.sorted().joined(separator: ", "))); the space is then the dataflow only",
                   kind: .file, presets: presets.keys.sorted()),
        OptionSpec(key: "mapping", summary: "a mapping JSON or YAML file (one mapping for every layer, or {\"layers\": {name: mapping}}); needs architecture", kind: .file),
        OptionSpec(key: "mapper_objective", summary: "what the mapper minimises per layer: latency, energy, energy-delay", defaultValue: "energy-delay"),
        OptionSpec(key: "mapper_restarts", summary: "random restarts of the mapper per layer", defaultValue: "6"),
        OptionSpec(key: "mapper_steps", summary: "local-search steps per restart", defaultValue: "250"),
        OptionSpec(key: "clock_mhz", summary: "clock for latency_ms", defaultValue: "200"),
    ]

    public static let presets: [String: Architecture] = [
        Architecture.eyerissLike.name: .eyerissLike, Architecture.tpuLike.name: .tpuLike, Architecture.outputStationary.name: .outputStationary,
    ]

    static let scratchpads = ["ifmap_spad", "weights_spad", "psum_spad"]
    static let depths: [Double] = (1...16).map { pow(2, Double($0)) }
    static let bandwidths: [Double] = [2, 4, 8, 16]

    /// ArchGym's Timeloop knobs on the Eyeriss-like template, and the dataflow. Defaults are the
    /// template's base (scratchpad depths rounded to the powers of two the knobs allow: 16, 256, 16).
    public static let templateSpace: ParameterSpace = {
        var parameters: [Parameter] = [
            .integer("num_pes", 14...336, step: 14, default: 168, summary: "MAC units", unit: "PEs"),
            .ordinal("mesh_x", [2, 7, 14], default: 14, summary: "PEs per array row (the array is mesh_x × num_pes/mesh_x)"),
        ]
        for (name, kind, depth) in [("ifmap_spad", "regfile", 16.0), ("weights_spad", "SRAM", 256), ("psum_spad", "regfile", 16)] {
            parameters += [
                .categorical("\(name)_class", ["regfile", "SRAM"], default: kind, summary: "storage technology"),
                .ordinal("\(name)_depth", depths, default: depth, summary: "entries", unit: "entries"),
                .ordinal("\(name)_block_size", [1, 2, 4], default: 1, summary: "16-bit words per entry (and per access)"),
                .ordinal("\(name)_read_bw", bandwidths, default: 2, summary: "words read per cycle", unit: "words/cycle"),
                .ordinal("\(name)_write_bw", bandwidths, default: 2, summary: "words written per cycle", unit: "words/cycle"),
            ]
        }
        parameters += [
            .categorical("shared_glb_class", ["regfile", "SRAM"], default: "SRAM", summary: "storage technology of the global buffer"),
            .ordinal("shared_glb_depth", depths.filter { $0 >= 1024 }, default: 16_384, summary: "global buffer entries", unit: "entries"),
            .ordinal("shared_glb_block_size", [1, 2, 4], default: 4, summary: "16-bit words per entry (and per access)"),
            .ordinal("shared_glb_read_bw", bandwidths, default: 16, summary: "words read per cycle", unit: "words/cycle"),
            .ordinal("shared_glb_write_bw", bandwidths, default: 16, summary: "words written per cycle", unit: "words/cycle"),
            .ordinal("shared_glb_banks", [16, 32, 64, 128], default: 32, summary: "banks of the global buffer"),
            dataflowParameter,
        ]
        return ParameterSpace(parameters)
    }()

    static let dataflowParameter = Parameter.categorical(
        "dataflow", Dataflow.allCases.map(\.rawValue), default: Dataflow.rowStationary.rawValue, summary: "which loops the array unrolls")

    public private(set) var spec: EnvironmentSpec
    public let network: Network
    private let fixedArchitecture: Architecture?
    private let mappings: MappingSource?
    private let mapper: Mapper
    private let clockMHz: Double

    enum MappingSource: Sendable {
        case all(Mapping)
        case byLayer([String: Mapping])
    }

    /// Creates an instance: workload one of the bundled networks (`resnet18` by default) or a network JSON file.
    public init(options: EnvironmentOptions) throws {
        let values = options.values
        let workloads = Network.bundled.map { WorkloadSpec(name: $0.name, summary: $0.summary) }
            + [WorkloadSpec(name: "<file>.json|.yaml", summary: "a network file: {\"layers\": [{\"type\": \"conv\" | \"fc\" | \"gemm\" | \"loops\", …}]}")]
        func fail(_ key: String, _ reason: String) -> EnvironmentError {
            EnvironmentError.invalidOption(key: key, value: values[key] ?? "", reason: reason)
        }
        let requested = options.workload ?? "resnet18"
        let isFile = requested.lowercased().hasSuffix(".json") || StructuredFile.isYAML(requested)
        var probe = options
        if isFile { probe.workload = nil }
        let known = EnvironmentSpec(id: Self.id, summary: "", space: ParameterSpace([Self.dataflowParameter]), metrics: Self.metrics,
                                    workloads: workloads, workload: "resnet18", options: Self.optionSpecs,
                                    defaultObjective: .metric("energy_delay", .minimize))
        _ = try known.resolveWorkload(probe)  // unknown options and workloads, named

        // Hardware: fixed, or built from the design.
        if let given = values["architecture"] {
            var architecture: Architecture
            if let preset = Self.presets[given] {
                architecture = preset
            } else {
                guard FileManager.default.fileExists(atPath: given) else {
                    throw fail("architecture", "not a preset (\(Self.presets.keys.sorted().joined(separator: ", "))) nor an existing file")
                }
                let data: Data
                do {
                    data = try StructuredFile.jsonData(given, what: "architecture")
                } catch {
                    throw fail("architecture", "\(error)")
                }
                do {
                    architecture = try JSONDecoder().decode(Architecture.self, from: data)
                } catch {
                    throw fail("architecture", "not an architecture file (see docs/ACCELERATOR.md): \(error)")
                }
            }
            do {
                try architecture.validate()
            } catch {
                throw fail("architecture", "\(error)")
            }
            fixedArchitecture = architecture
        } else {
            fixedArchitecture = nil
        }
        if let path = values["mapping"] {
            guard fixedArchitecture != nil else { throw fail("mapping", "an explicit mapping needs a fixed architecture (--option architecture=…)") }
            let data: Data
            do {
                data = try StructuredFile.jsonData(path, what: "mapping")
            } catch {
                throw fail("mapping", "\(error)")
            }
            struct ByLayer: Decodable { var layers: [String: Mapping] }
            if let one = try? JSONDecoder().decode(Mapping.self, from: data) {
                mappings = .all(one)
            } else if let byLayer = try? JSONDecoder().decode(ByLayer.self, from: data) {
                mappings = .byLayer(byLayer.layers)
            } else {
                throw fail("mapping", "not a mapping file: expected {\"spatial\": …, \"temporal\": …} or {\"layers\": {name: mapping}}")
            }
        } else {
            mappings = nil
        }

        (mapper, clockMHz) = try Self.mapperOptions(values)

        // The workload.
        if isFile {
            do {
                network = try NetworkFile.parse(try StructuredFile.jsonData(requested, what: "network"), fallbackName: URL(fileURLWithPath: requested).deletingPathExtension().lastPathComponent)
            } catch {
                throw EnvironmentError.invalidOption(key: "workload", value: requested, reason: "\(error)")
            }
        } else {
            network = Network.bundled.first(where: { $0.name == requested })!
        }
        if case .byLayer(let byLayer) = mappings, let missing = network.layers.first(where: { byLayer[$0.name] == nil }) {
            throw fail("mapping", "the mapping file has no mapping for layer \(missing.name)")
        }

        let space = fixedArchitecture == nil ? Self.templateSpace : ParameterSpace([Self.dataflowParameter])
        var spec = EnvironmentSpec(
            id: Self.id, summary: "DNN accelerator: analytical loop-nest model with a mapper, over whole networks",
            space: space, metrics: Self.metrics, workloads: workloads, workload: "resnet18", options: Self.optionSpecs,
            defaultObjective: .metric("energy_delay", .minimize),
            suggestedObjectives: [
                "latency": .metric("cycles", .minimize),
                "energy": .metric("energy_uj", .minimize),
                "area": .metric("area_mm2", .minimize),
                "energy-vs-latency": Objective(kind: .pareto, terms: [.init(metric: "energy_uj", goal: .minimize), .init(metric: "cycles", goal: .minimize)]),
            ])
        spec.workload = isFile ? requested : network.name
        self.spec = spec
        // ArchGym's target-based cost: targets 30 % (energy), 15 % (area) and 20 % (cycles) below the
        // default design on this workload; the reward −Σ max((x − t)/t, 0) is 0 once every target is met.
        if let baseline = Self.baseline(of: self, key: "\(spec.workload)|\(values.sorted { $0.key < $1.key })") {
            self.spec.suggestedObjectives["archgym"] = Objective(kind: .cost, terms: [
                .init(metric: "energy_uj", value: baseline.energy * 0.70), .init(metric: "area_mm2", value: baseline.area * 0.85),
                .init(metric: "cycles", value: baseline.cycles * 0.80),
            ])
        }
    }

    private final class BaselineCache: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: (energy: Double, area: Double, cycles: Double)?] = [:]
    }

    private static let baselines = BaselineCache()

    /// The default design's energy, area and cycles, computed once per process for each workload and options.
    private static func baseline(of environment: AcceleratorEnvironment, key: String) -> (energy: Double, area: Double, cycles: Double)? {
        baselines.lock.lock()
        if let cached = baselines.entries[key] {
            baselines.lock.unlock()
            return cached
        }
        baselines.lock.unlock()
        let evaluation = environment.measure(environment.spec.space.defaultDesign)
        let metrics = evaluation.metrics
        let baseline = evaluation.status == .ok
            ? (energy: metrics["energy_uj"]!, area: metrics["area_mm2"]!, cycles: metrics["cycles"]!) : nil
        baselines.lock.lock()
        baselines.entries[key] = baseline
        baselines.lock.unlock()
        return baseline
    }

    /// The mapper and the clock that the options `mapper_objective`, `mapper_restarts`, `mapper_steps` and
    /// `clock_mhz` set (the others are left alone).
    public static func mapperOptions(_ values: [String: String]) throws -> (mapper: Mapper, clockMHz: Double) {
        func fail(_ key: String, _ reason: String) -> EnvironmentError {
            EnvironmentError.invalidOption(key: key, value: values[key] ?? "", reason: reason)
        }
        guard let objective = MappingObjective(rawValue: values["mapper_objective"] ?? "energy-delay") else {
            throw fail("mapper_objective", "expected one of \(MappingObjective.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func whole(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = values[key] else { return fallback }
            guard let value = Int(text), range.contains(value) else { throw fail(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound)") }
            return value
        }
        let mapper = Mapper(objective: objective, restarts: try whole("mapper_restarts", 6, 1...1000), steps: try whole("mapper_steps", 250, 0...1_000_000))
        guard let clock = Double(values["clock_mhz"] ?? "200"), clock > 0, clock.isFinite else { throw fail("clock_mhz", "expected a positive number") }
        return (mapper, clock)
    }

    /// The architecture a design describes (the fixed one when given).
    public func architecture(for design: Design) -> Architecture {
        fixedArchitecture ?? Self.templateArchitecture(for: design)
    }

    /// The Eyeriss-like template's architecture for a design of `templateSpace`.
    public static func templateArchitecture(for design: Design) -> Architecture {
        func number(_ name: String) -> Int { design[name]?.number.map { Int($0) } ?? 0 }
        func text(_ name: String) -> String { design[name]?.string ?? "" }
        let columns = number("mesh_x"), rows = number("num_pes") / max(1, number("mesh_x"))
        func kind(_ prefix: String) -> Components.Kind { text("\(prefix)_class") == "regfile" ? .regfile : .sram }
        func level(_ prefix: String, holds: [Operand], shared: [String], banks: Int = 1) -> Architecture.Level {
            .built(prefix, holds: holds, kind: kind(prefix), depth: number("\(prefix)_depth"), blockWords: number("\(prefix)_block_size"),
                   banks: banks, readWords: Double(number("\(prefix)_read_bw")), writeWords: Double(number("\(prefix)_write_bw")),
                   sharedAcross: shared)
        }
        return Architecture(name: "eyeriss-template", array: [.init(name: "X", size: columns), .init(name: "Y", size: rows)],
                            macEnergy: Components.macEnergy(), macArea: Components.macArea(), levels: [
            level("psum_spad", holds: [.outputs], shared: []),
            level("weights_spad", holds: [.weights], shared: []),
            level("ifmap_spad", holds: [.inputs], shared: []),
            level("shared_glb", holds: [.inputs, .outputs], shared: ["X", "Y"], banks: number("shared_glb_banks")),
            Architecture.dram(),
        ])
    }

    /// Maps (or applies the given mapping to) every layer and sums the costs. A layer with no feasible
    /// mapping makes the design infeasible, naming the layer.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        let dataflow = Dataflow(rawValue: design["dataflow"]?.string ?? "") ?? .rowStationary
        return try Self.evaluate(network, on: architecture(for: design), dataflow: dataflow, mappings: mappings, mapper: mapper, clockMHz: clockMHz)
    }

    /// `network` on `architecture`: every layer mapped by `mapper` (for the dataflow; layers of one shape
    /// once), or given its mapping, and the costs summed into the environment's metrics.
    public static func evaluate(_ network: Network, on architecture: Architecture, dataflow: Dataflow, mapper: Mapper,
                                clockMHz: Double) throws -> Evaluation {
        try evaluate(network, on: architecture, dataflow: dataflow, mappings: nil, mapper: mapper, clockMHz: clockMHz)
    }

    static func evaluate(_ network: Network, on architecture: Architecture, dataflow: Dataflow, mappings: MappingSource?, mapper: Mapper,
                         clockMHz: Double) throws -> Evaluation {
        var costs: [LayerCost] = []
        var mapped: [[Int]: [Int]] = [:]  // layers of the same shape are mapped once
        var mappingsUsed: [Mapping] = []
        for (index, layer) in network.layers.enumerated() {
            try EvaluationDeadline.check()
            do {
                switch mappings {
                case .all(let mapping):
                    costs.append(try CostModel.evaluate(layer, mapping: mapping, on: architecture))
                    mappingsUsed.append(mapping)
                case .byLayer(let byLayer):
                    costs.append(try CostModel.evaluate(layer, mapping: byLayer[layer.name]!, on: architecture))
                    mappingsUsed.append(byLayer[layer.name]!)
                case nil:
                    let key = shapeKey(layer)
                    if let earlier = mapped[key]?.first {
                        var cost = costs[earlier]
                        cost.layer = layer.name
                        costs.append(cost)
                        mappingsUsed.append(mappingsUsed[earlier])
                    } else {
                        let result = try mapper.map(layer, on: architecture, dataflow: dataflow, seed: Seeds.derive(0, "layer \(index)"))
                        costs.append(result.cost)
                        mappingsUsed.append(result.mapping)
                    }
                    mapped[key, default: []].append(index)
                }
            } catch let error as Mapper.NoFeasibleMapping {
                return .unsuccessful(.infeasible, message: error.description)
            } catch let error as CostModel.Infeasible {
                return .unsuccessful(.infeasible, message: "layer \(layer.name): \(error.description)")
            } catch let error as Mapping.Invalid {
                throw EnvironmentError.invalidOption(key: "mapping", value: "", reason: "layer \(layer.name): \(error.description)")
            }
        }
        return report(costs, mappings: mappingsUsed, architecture: architecture, clockMHz: clockMHz)
    }

    static func shapeKey(_ layer: Layer) -> [Int] {
        layer.sizes + [layer.strideY, layer.strideX, layer.paddingY, layer.paddingX] + layer.precision
    }

    /// Network metrics from per-layer costs, with one detail row per layer.
    static func report(_ costs: [LayerCost], mappings: [Mapping], architecture: Architecture, clockMHz: Double) -> Evaluation {
        let cycles = costs.reduce(0) { $0 + $1.cycles }
        let energy = costs.reduce(0) { $0 + $1.energy }
        let macs = costs.reduce(0) { $0 + $1.macs }
        let macEnergy = costs.reduce(0) { $0 + $1.macEnergy }
        let dramIndex = architecture.levels.count - 1
        let dramEnergy = costs.reduce(0) { $0 + $1.levels[dramIndex].energy }
        let dramAccesses = costs.reduce(0) { total, cost in
            total + cost.levels[dramIndex].reads.values.reduce(0, +) + cost.levels[dramIndex].writes.values.reduce(0, +)
        }
        let latency = cycles / (clockMHz * 1e3)
        let metrics: [String: Double] = [
            "cycles": cycles, "latency_ms": latency, "energy_uj": energy / 1e6, "area_mm2": architecture.area,
            "utilization": Double(macs) / (cycles * Double(architecture.peCount)), "energy_delay": energy / 1e6 * latency,
            "energy_mac_uj": macEnergy / 1e6, "energy_dram_uj": dramEnergy / 1e6, "energy_onchip_uj": (energy - macEnergy - dramEnergy) / 1e6,
            "dram_accesses": Double(dramAccesses), "macs": Double(macs),
        ]
        let layers: [JSONValue] = zip(costs, mappings).map { cost, mapping in
            .object([
                "layer": .string(cost.layer), "macs": .number(Double(cost.macs)), "cycles": .number(cost.cycles),
                "energy_pj": .number(cost.energy), "utilization": .number(cost.utilization), "bound_by": .string(cost.boundBy),
                "mapping": .string(Self.describe(mapping, on: architecture)),
            ])
        }
        return Evaluation(metrics: metrics, details: ["layers": .array(layers), "architecture": .string(architecture.name)])
    }

    /// A mapping in one line, levels outermost first and each level's loops outermost first, the spatial
    /// loops last: `DRAM: K2 C3 | shared_glb: OX7 | … | spatial X: OY14, Y: FY3·C4`.
    public static func describe(_ mapping: Mapping, on architecture: Architecture) -> String {
        func loops(_ list: [Loop], _ separator: String) -> String { list.map { "\($0.dimension.rawValue)\($0.bound)" }.joined(separator: separator) }
        let temporal = architecture.levels.reversed().compactMap { level in
            mapping.temporal[level.name].map { "\(level.name): " + loops($0, " ") }
        }
        let spatial = architecture.array.compactMap { dimension in mapping.spatial[dimension.name].map { "\(dimension.name): " + loops($0, "·") } }
        return (temporal + ["spatial " + spatial.joined(separator: ", ")]).joined(separator: " | ")
    }
}
