import Accelerator
import Dispatch
import Foundation
import GymCore
import LinearAlgebra

/// `Supernet-v1`: subnets of a weight-shared supernet that the environment trains itself on the UCI
/// digits, evaluated with the weights they inherit.
///
/// The supernet is trained once per (seed, sampler, epochs) and cached on disk under the user's cache
/// directory (`$XDG_CACHE_HOME/designgym/supernet`, else `~/.cache/designgym/supernet`, or `cache_dir`),
/// keyed by a SHA-256 of everything that affects the weights; training shows its progress on standard
/// error. Accuracy is computed on the 360 held-out images; MACs and parameters are counted; latency is a
/// measured median and therefore not deterministic — or, with `--option latency=accelerator`, the cycles
/// of the subnet's layers on an `Accelerator-v0` architecture (each layer mapped by its mapper) at 200 MHz,
/// for NAS–accelerator co-design.
public struct SupernetEnvironment: Environment {
    public static let id = "Supernet-v1"
    /// Bumped whenever the network, the data split or the training code changes the weights (2: single
    /// precision, global max pooling, batches of 32 at 5·10⁻³, batches split in two parts).
    static let modelVersion = 2
    static let testCount = 360

    static func metrics(measuredLatency: Bool) -> [MetricSpec] {
        var result = metrics
        if !measuredLatency {
            result[3] = MetricSpec(name: "latency_us", unit: "µs", goal: .minimize,
                                   summary: "the subnet's layers on the accelerator model (option accelerator), mapped per layer, at 200 MHz")
        }
        return result
    }

    public static let metrics: [MetricSpec] = [
        MetricSpec(name: "accuracy", unit: "%", goal: .maximize, summary: "top-1 accuracy on the 360 held-out digits, with inherited weights"),
        MetricSpec(name: "macs", unit: "MACs", goal: .minimize, summary: "multiply-accumulates per image"),
        MetricSpec(name: "parameters", unit: "parameters", goal: .minimize, summary: "weights and biases the subnet uses"),
        MetricSpec(name: "latency_us", unit: "µs", goal: .minimize, summary: "median of 15 timed single-image forward passes on this machine",
                   isDeterministic: false),
    ]

    public static let space: ParameterSpace = {
        var parameters: [Parameter] = []
        for stage in 1...2 {
            parameters.append(.ordinal("depth_\(stage)", [1, 2, 3], default: 3, summary: "blocks in stage \(stage)"))
            parameters.append(.ordinal("width_\(stage)", [0.5, 0.75, 1.0], default: 1.0, summary: "fraction of stage \(stage)'s 32 channels"))
        }
        for stage in 1...2 {
            for block in 1...3 {
                parameters.append(.ordinal("kernel_\(stage)_\(block)", [3, 5], default: 5,
                                           summary: "kernel of block \(block) in stage \(stage) (ignored beyond the stage's depth)"))
            }
        }
        parameters.append(.ordinal("resolution", [6, 8], default: 8, summary: "input side: 8 (whole image) or 6 (centre crop)"))
        return ParameterSpace(parameters)
    }()

    public let spec: EnvironmentSpec
    public let trainer: SupernetTrainer
    private let trainingSeed: UInt64
    private let cacheDirectory: URL
    private let accelerator: Architecture?

    public init(options: EnvironmentOptions) throws {
        var spec = EnvironmentSpec(
            id: Self.id, summary: "subnets of a weight-shared supernet trained here on the UCI digits, evaluated with inherited weights",
            space: Self.space, metrics: Self.metrics,
            workloads: [WorkloadSpec(name: "digits", summary: "UCI handwritten digits, 8×8: 1,437 training and 360 held-out images")],
            workload: "digits",
            options: [
                OptionSpec(key: "sampler", summary: "training sampler: \(SupernetSampler.allCases.map(\.rawValue).joined(separator: ", "))", defaultValue: "sandwich"),
                OptionSpec(key: "epochs", summary: "training epochs", defaultValue: "20"),
                OptionSpec(key: "subset", summary: "RS2: the fraction of the training images each epoch trains on, a fresh random subset each epoch (0 < f ≤ 1)",
                           defaultValue: "1"),
                OptionSpec(key: "subset_sampling", summary: "RS2's subsets across epochs: without (replacement: no image repeats until all were used) or with",
                           defaultValue: "without"),
                OptionSpec(key: "training_seed", summary: "seed of the weights and the batches (the data split is fixed)", defaultValue: "0"),
                OptionSpec(key: "cache_dir", summary: "where trained supernets are kept (default: the user's cache directory)",
                           kind: .hostSetting),
                OptionSpec(key: "latency", summary: "measured (timed forward passes here) or accelerator (the Accelerator-v0 model)", defaultValue: "measured"),
                OptionSpec(key: "accelerator", summary: "with latency=accelerator: a preset (\(AcceleratorEnvironment.presets.keys.sorted().joined(separator: ", ")))",
                           defaultValue: "eyeriss-like"),
            ],
            defaultObjective: .metric("accuracy", .maximize),
            suggestedObjectives: [
                "accuracy-vs-macs": Objective(kind: .pareto, terms: [.init(metric: "accuracy", goal: .maximize), .init(metric: "macs", goal: .minimize)]),
            ])
        spec.workload = try spec.resolveWorkload(options)
        let values = options.values
        switch values["latency"] ?? "measured" {
        case "measured": accelerator = nil
        case "accelerator":
            guard let architecture = AcceleratorEnvironment.presets[values["accelerator"] ?? "eyeriss-like"] else {
                throw EnvironmentError.invalidOption(key: "accelerator", value: values["accelerator"]!,
                                                     reason: "expected one of \(AcceleratorEnvironment.presets.keys.sorted().joined(separator: ", "))")
            }
            accelerator = architecture
        case let other:
            throw EnvironmentError.invalidOption(key: "latency", value: other, reason: "expected measured or accelerator")
        }
        if values["accelerator"] != nil && accelerator == nil {
            throw EnvironmentError.invalidOption(key: "accelerator", value: values["accelerator"]!, reason: "only read with latency=accelerator")
        }
        spec.metrics = Self.metrics(measuredLatency: accelerator == nil)
        self.spec = spec
        guard let sampler = SupernetSampler(rawValue: values["sampler"] ?? "sandwich") else {
            throw EnvironmentError.invalidOption(key: "sampler", value: values["sampler"]!,
                                                 reason: "expected one of \(SupernetSampler.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let epochs = Int(values["epochs"] ?? "20"), (1...1000).contains(epochs) else {
            throw EnvironmentError.invalidOption(key: "epochs", value: values["epochs"]!, reason: "expected a whole number from 1 to 1000")
        }
        guard let seed = UInt64(values["training_seed"] ?? "0") else {
            throw EnvironmentError.invalidOption(key: "training_seed", value: values["training_seed"]!, reason: "expected a whole number ≥ 0")
        }
        guard let fraction = Double(values["subset"] ?? "1"), fraction > 0, fraction <= 1 else {
            throw EnvironmentError.invalidOption(key: "subset", value: values["subset"]!, reason: "expected a fraction above 0 and at most 1")
        }
        guard let sampling = SupernetTrainer.SubsetSampling(rawValue: values["subset_sampling"] ?? "without") else {
            throw EnvironmentError.invalidOption(key: "subset_sampling", value: values["subset_sampling"]!, reason: "expected without or with")
        }
        trainer = SupernetTrainer(sampler: sampler, epochs: epochs, subsetFraction: fraction, subsetSampling: sampling)
        trainingSeed = seed
        if let directory = values["cache_dir"] {
            cacheDirectory = URL(fileURLWithPath: directory)
        } else if let xdg = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cacheDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("designgym/supernet")
        } else {
            cacheDirectory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/designgym/supernet")
        }
    }

    /// The subnet a design chooses.
    public static func subnet(_ design: Design) -> Subnet {
        func number(_ name: String) -> Double { design[name]?.number ?? 0 }
        return Subnet(depths: [Int(number("depth_1")), Int(number("depth_2"))],
                      widths: [Int((32 * number("width_1")).rounded()), Int((32 * number("width_2")).rounded())],
                      kernels: (1...2).flatMap { stage in (1...3).map { Int(number("kernel_\(stage)_\($0)")) } },
                      resolution: Int(number("resolution")))
    }

    /// The key of the trained weights: everything that affects them.
    public var trainingKey: String {
        let text = "supernet v\(Self.modelVersion) sampler=\(trainer.sampler.rawValue) epochs=\(trainer.epochs) batch=\(trainer.batchSize) "
            + "rate=\(trainer.learningRate) seed=\(trainingSeed) split=\(Self.testCount)/1"
            + (trainer.subsetFraction < 1 ? " subset=\(trainer.subsetFraction) \(trainer.subsetSampling.rawValue)" : "")
        return String(SHA256.hexDigest(Array(text.utf8)).prefix(16))
    }

    /// The trained supernet, from memory, from the disk cache, or trained now (progress on standard error).
    public func trained() throws -> (model: Supernet<Float>, test: (images: [[Double]], labels: [Int])) {
        let digits = try Digits.bundled()
        let split = digits.split(testCount: Self.testCount, seed: 1)
        let test = (split.test.map { digits.images[$0] }, split.test.map { digits.labels[$0] })
        let key = trainingKey
        let file = cacheDirectory.appendingPathComponent("\(key).json")
        // Remembered per file, so an environment given another cache folder finds its weights there.
        let memoryKey = file.path
        // Another evaluation may be training: wait for it, but no longer than this evaluation may take.
        try EvaluationDeadline.lock(Self.cache.lock)
        defer { Self.cache.lock.unlock() }
        if let model = Self.cache.models[memoryKey] { return (model, test) }
        func cached() -> Supernet<Float>? {
            guard let data = try? Data(contentsOf: file) else { return nil }
            return try? JSONDecoder().decode(Supernet<Float>.self, from: data)
        }
        if let model = cached() {
            Self.cache.models[memoryKey] = model
            return (model, test)
        }
        // One process trains; others (workers, parallel runs) wait on the lock and then read its result.
        try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let lock = open(cacheDirectory.appendingPathComponent("\(key).lock").path, O_CREAT | O_RDWR, 0o644)
        if lock >= 0 {
            while flock(lock, LOCK_EX | LOCK_NB) != 0 {
                do {
                    try EvaluationDeadline.sleep(0.1)
                } catch {
                    close(lock)
                    throw error
                }
            }
        }
        defer {
            if lock >= 0 {
                flock(lock, LOCK_UN)
                close(lock)
            }
        }
        if let model = cached() {
            Self.cache.models[memoryKey] = model
            return (model, test)
        }
        let start = Date()
        let model = try trainer.train(images: split.train.map { digits.images[$0] }, labels: split.train.map { digits.labels[$0] }, seed: trainingSeed) { epoch, loss in
            let line = String(format: "Training the supernet (%@, seed %llu): epoch %d/%d, loss %.3f, %.0f s\n",
                              trainer.sampler.rawValue, trainingSeed, epoch, trainer.epochs, loss, Date().timeIntervalSince(start))
            FileHandle.standardError.write(Data(line.utf8))
        }
        if let data = try? JSONEncoder().encode(model) {
            // Written aside and moved into place, so a concurrent reader never sees half a file.
            let partial = cacheDirectory.appendingPathComponent("\(key).\(ProcessInfo.processInfo.processIdentifier).partial")
            if (try? data.write(to: partial)) != nil, rename(partial.path, file.path) != 0 {
                try? FileManager.default.removeItem(at: partial)
            }
        }
        Self.cache.models[memoryKey] = model
        return (model, test)
    }

    /// The subnet's layers as accelerator layers (its convolutions and classifier), each mapped by the
    /// accelerator's mapper (energy-delay, row stationary); the total cycles.
    public static func acceleratorLayers(_ subnet: Subnet) -> [Layer] {
        var layers = [Layer.convolution("stem", 1, SupernetShape.stemChannels, size: subnet.resolution, kernel: 3)]
        for conv in subnet.convolutions {
            layers.append(.convolution("stage\(conv.stage + 1)_block\(conv.block + 1)", conv.inputs, conv.outputs, size: conv.side, kernel: conv.kernel))
        }
        layers.append(.fullyConnected("classifier", inputs: subnet.widths[1], outputs: SupernetShape.classes))
        return layers
    }

    static func acceleratorCycles(_ subnet: Subnet, on architecture: Architecture) throws -> Double {
        var cycles = 0.0
        for (index, layer) in acceleratorLayers(subnet).enumerated() {
            do {
                cycles += try Mapper().map(layer, on: architecture, dataflow: .rowStationary, seed: Seeds.derive(0, "layer \(index)")).cost.cycles
            } catch {
                throw EnvironmentError.invalidOption(key: "accelerator", value: architecture.name, reason: "\(error)")
            }
        }
        return cycles
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var models: [String: Supernet<Float>] = [:]
    }

    private static let cache = Cache()

    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        let subnet = Self.subnet(design)
        let (model, test) = try trained()
        let accuracy = model.accuracy(subnet, images: test.images, labels: test.labels)
        let latency: Double
        if let accelerator {
            latency = try Self.acceleratorCycles(subnet, on: accelerator) / 200
        } else {
            // The median of 15 single-image forward passes after one warm-up.
            let image = [test.images[0]]
            let workspace = Workspace<Float>()
            workspace.recycle(model.forward(subnet, images: image, workspace: workspace))
            var timings: [Double] = []
            for _ in 0..<15 {
                let start = DispatchTime.now().uptimeNanoseconds
                let pass = model.forward(subnet, images: image, workspace: workspace)
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
                workspace.recycle(pass)
            }
            timings.sort()
            latency = timings[7]
        }
        return Evaluation(metrics: [
            "accuracy": 100 * accuracy, "macs": Double(subnet.macs), "parameters": Double(subnet.parameters), "latency_us": latency,
        ], details: ["weights": .string(trainingKey), "sampler": .string(trainer.sampler.rawValue)])
    }
}
