import Foundation
import GymCore

/// `NASBench201-v0`: the NAS-Bench-201 cell space with the accuracies NAS-Bench-201 measured.
///
/// A cell has 4 nodes and 6 edges, each one of 5 operations: 5⁶ = 15,625 architectures. The network
/// stacks a 3×3 stem, three stages of 5 cells at 16, 32 and 64 channels with ResNet reduction blocks
/// between them, and a classifier (Dong & Yang, "NAS-Bench-201", ICLR 2020). Accuracy, training time and
/// GPU latency come from the benchmark's table (200 epochs, 2–3 training seeds); parameters and
/// multiply-accumulates are computed here from the network's definition.
public struct NASBench201Environment: Environment {
    public static let id = "NASBench201-v0"

    /// The edge operations, in the order of the benchmark's keys.
    public static let operations = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    /// The edges, in NB201's string order: node 1 ← 0, 2 ← 0, 2 ← 1, 3 ← 0, 3 ← 1, 3 ← 2.
    public static let edges = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]

    /// The datasets: name, input size, classes, and a summary.
    public static let datasets: [(name: String, inputSize: Int, classes: Int, summary: String)] = [
        ("cifar10", 32, 10, "CIFAR-10, validation accuracy after 200 epochs"),
        ("cifar100", 32, 100, "CIFAR-100, validation accuracy after 200 epochs"),
        ("imagenet16-120", 16, 120, "ImageNet16-120 (16×16, 120 classes), validation accuracy after 200 epochs"),
    ]

    public static let metrics: [MetricSpec] = [
        MetricSpec(name: "val_accuracy", unit: "%", goal: .maximize, summary: "validation accuracy: mean over the recorded seeds, or one seed (option accuracy)"),
        MetricSpec(name: "train_time", unit: "s", goal: .minimize, summary: "NAS-Bench-201's GPU training time for 200 epochs"),
        MetricSpec(name: "latency_ms", unit: "ms", goal: .minimize, summary: "NAS-Bench-201's measured GPU latency of one forward pass"),
        MetricSpec(name: "parameters", unit: "parameters", goal: .minimize, summary: "trainable parameters, from the network's definition"),
        MetricSpec(name: "macs", unit: "MACs", goal: .minimize, summary: "multiply-accumulates of one image, from the network's definition"),
    ]

    public static let space = ParameterSpace(edges.map { edge in
        .categorical("node\(edge.0)_from\(edge.1)", operations, default: "nor_conv_3x3", summary: "operation on the edge into node \(edge.0) from node \(edge.1)")
    })

    public let spec: EnvironmentSpec
    private let dataset: Int
    private let accuracy: AccuracyChoice
    private let seed: UInt64

    enum AccuracyChoice: Equatable {
        case mean
        case seed(Int)
        case sample
    }

    public init(options: EnvironmentOptions) throws {
        var spec = EnvironmentSpec(
            id: Self.id, summary: "NAS-Bench-201 cells with the accuracies the benchmark measured on CIFAR-10, CIFAR-100 and ImageNet16-120",
            space: Self.space, metrics: Self.metrics,
            workloads: Self.datasets.map { WorkloadSpec(name: $0.name, summary: $0.summary) }, workload: "cifar10",
            options: [OptionSpec(key: "accuracy", summary: "mean over the recorded seeds; 0, 1 or 2 for one seed (wrapping where fewer were run); sample for one seed drawn per design from the environment's seed (evaluation noise)",
                                 defaultValue: "mean")],
            defaultObjective: .metric("val_accuracy", .maximize),
            suggestedObjectives: [
                "accuracy-vs-latency": Objective(kind: .pareto, terms: [.init(metric: "val_accuracy", goal: .maximize), .init(metric: "latency_ms", goal: .minimize)]),
                "accuracy-vs-macs": Objective(kind: .pareto, terms: [.init(metric: "val_accuracy", goal: .maximize), .init(metric: "macs", goal: .minimize)]),
            ])
        spec.workload = try spec.resolveWorkload(options)
        self.spec = spec
        dataset = Self.datasets.firstIndex { $0.name == spec.workload }!
        switch options.values["accuracy"] ?? "mean" {
        case "mean": accuracy = .mean
        case "sample": accuracy = .sample
        case let text:
            guard let index = Int(text), (0...2).contains(index) else {
                throw EnvironmentError.invalidOption(key: "accuracy", value: text, reason: "expected mean, sample, or a seed index 0, 1 or 2")
            }
            accuracy = .seed(index)
        }
        seed = options.seed
        _ = try BenchmarkTable.shared()
    }

    /// The benchmark's key of a design: one operation index per edge.
    public static func key(_ design: Design) -> [Int] {
        space.parameters.map { parameter in operations.firstIndex(of: design[parameter.name]?.string ?? "") ?? 0 }
    }

    /// The NB201 architecture string, `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
    public static func architectureString(_ key: [Int]) -> String {
        var nodes: [String] = []
        var position = 0
        for node in 1...3 {
            var inputs: [String] = []
            for source in 0..<node {
                inputs.append("\(operations[key[position]])~\(source)")
                position += 1
            }
            nodes.append("|" + inputs.joined(separator: "|") + "|")
        }
        return nodes.joined(separator: "+")
    }

    /// The key of an NB201 architecture string, or nil if `text` is not one.
    public static func key(architecture text: String) -> [Int]? {
        let nodes = text.split(separator: "+")
        guard nodes.count == 3 else { return nil }
        var key: [Int] = []
        for (node, part) in nodes.enumerated() {
            let inputs = part.split(separator: "|")
            guard inputs.count == node + 1 else { return nil }
            for (source, input) in inputs.enumerated() {
                let pieces = input.split(separator: "~")
                guard pieces.count == 2, Int(pieces[1]) == source, let operation = operations.firstIndex(of: String(pieces[0])) else { return nil }
                key.append(operation)
            }
        }
        return key
    }

    /// Reads a flat design, or `{"arch": "|nor_conv_3x3~0|+|…|"}` in NAS-Bench-201's string form.
    public func design(fromJSON text: String) throws -> Design {
        let parsed = try Design.parse(json: text)
        guard let arch = parsed["arch"] else { return parsed }
        guard parsed.values.count == 1, let string = arch.string, let key = Self.key(architecture: string) else {
            throw DesignError.malformed("\"arch\" must be the only field and an NB201 string such as |nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|")
        }
        return Design(Dictionary(uniqueKeysWithValues: zip(Self.space.names, key).map { ($0, .string(Self.operations[$1])) }))
    }

    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        let key = Self.key(design)
        let entry = try BenchmarkTable.shared().entry(key: key, dataset: dataset)
        let recorded = entry.accuracies
        let chosen: Double
        var details: [String: JSONValue] = [
            "architecture": .string(Self.architectureString(key)),
            "seed_accuracies": .array(recorded.map { .number($0) }),
        ]
        switch accuracy {
        case .mean:
            chosen = recorded.reduce(0, +) / Double(recorded.count)
        case .seed(let index):
            chosen = recorded[index % recorded.count]
            details["seed_index"] = .number(Double(index % recorded.count))
        case .sample:
            var generator = SeededGenerator(seed: Seeds.derive(seed, design.hash))
            let index = generator.nextInt(below: recorded.count)
            chosen = recorded[index]
            details["seed_index"] = .number(Double(index))
        }
        if recorded.count > 1 {
            let mean = recorded.reduce(0, +) / Double(recorded.count)
            let variance = recorded.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(recorded.count - 1)
            details["seed_spread"] = .number(variance.squareRoot())
        }
        let shape = Self.datasets[dataset]
        let cost = TinyNetwork.cost(key: key, inputSize: shape.inputSize, classes: shape.classes)
        return Evaluation(metrics: [
            "val_accuracy": chosen, "train_time": entry.trainTime, "latency_ms": entry.latency * 1000,
            "parameters": Double(cost.parameters), "macs": Double(cost.macs),
        ], details: details)
    }
}

/// NAS-Bench-201's network ("TinyNetwork", C = 16, N = 5), counted: a 3×3 stem (3 → 16) with batch
/// norm; three stages of 5 cells at 16, 32 and 64 channels; between stages a ResNet basic block of
/// stride 2 (3×3 ReLU-conv-BN, 3×3 ReLU-conv-BN, and a shortcut of 2×2 average pooling and a 1×1 conv);
/// a final batch norm, global average pooling and a linear classifier. Every cell has all 6 edges
/// (edges whose result cannot reach the output still hold their weights, as in the benchmark's models).
/// `nor_conv_k×k` is ReLU-conv(no bias)-BN (k²C² + 2C parameters); skip, pooling and none have none.
/// MACs count convolutions and the classifier.
public enum TinyNetwork {
    public static func cost(key: [Int], inputSize: Int, classes: Int) -> (parameters: Int, macs: Int) {
        var parameters = 3 * 16 * 9 + 2 * 16
        var macs = 3 * 16 * 9 * inputSize * inputSize
        var size = inputSize
        var channels = 16
        for stage in 0..<3 {
            if stage > 0 {
                let wider = channels * 2
                let half = size / 2
                parameters += 9 * channels * wider + 2 * wider + 9 * wider * wider + 2 * wider + channels * wider
                macs += (9 * channels * wider + 9 * wider * wider + channels * wider) * half * half
                channels = wider
                size = half
            }
            for operation in key {
                let kernel = operation == 2 ? 1 : (operation == 3 ? 3 : 0)
                guard kernel > 0 else { continue }
                parameters += 5 * (kernel * kernel * channels * channels + 2 * channels)
                macs += 5 * kernel * kernel * channels * channels * size * size
            }
        }
        parameters += 2 * channels + channels * classes + classes
        macs += channels * classes
        return (parameters, macs)
    }
}

/// The benchmark's table, read once per process from the bundled CSV.
struct BenchmarkTable: Sendable {
    struct Entry: Sendable {
        var accuracies: [Double]
        var trainTime: Double
        var latency: Double
        /// Millions of parameters, per recorded seed (all equal but for models NB201 merged).
        var modelSizes: [Double]
    }

    /// Entries by dataset, then by key as a base-5 number.
    let entries: [[Entry]]

    func entry(key: [Int], dataset: Int) -> Entry {
        entries[dataset][key.reduce(0) { $0 * 5 + $1 }]
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var table: BenchmarkTable?
    }

    private static let cache = Cache()

    static func shared() throws -> BenchmarkTable {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let table = cache.table { return table }
        guard let url = Bundle.module.url(forResource: "nasbench201", withExtension: "csv")
                ?? Optional(Bundle.module.bundleURL.appendingPathComponent("Resources/nasbench201.csv")),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Missing(description: "the bundled NAS-Bench-201 table is missing from the installation")
        }
        let table = try parse(text)
        cache.table = table
        return table
    }

    static func parse(_ text: String) throws -> BenchmarkTable {
        let names = NASBench201Environment.datasets.map(\.name)
        var entries = [[Entry?]](repeating: [Entry?](repeating: nil, count: 15_625), count: names.count)
        for (number, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            func numbers(_ field: Substring) -> [Double]? {
                let values = field.split(separator: ";").map { Double($0) }
                return values.isEmpty || values.contains(nil) ? nil : values.map { $0! }
            }
            guard fields.count == 6, fields[0].count == 6, let dataset = names.firstIndex(of: String(fields[1])),
                  let accuracies = numbers(fields[2]), let times = numbers(fields[3]), let latencies = numbers(fields[4]),
                  let sizes = numbers(fields[5]) else {
                throw Missing(description: "nasbench201.csv line \(number + 1) is malformed")
            }
            var index = 0
            for character in fields[0] {
                guard let digit = character.wholeNumberValue, digit < 5 else { throw Missing(description: "nasbench201.csv line \(number + 1): bad key") }
                index = index * 5 + digit
            }
            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
            entries[dataset][index] = Entry(accuracies: accuracies, trainTime: mean(times), latency: mean(latencies), modelSizes: sizes)
        }
        var complete: [[Entry]] = []
        for (dataset, column) in entries.enumerated() {
            let present = column.compactMap { $0 }
            guard present.count == 15_625 else {
                throw Missing(description: "nasbench201.csv has \(present.count) of 15,625 architectures for \(names[dataset])")
            }
            complete.append(present)
        }
        return BenchmarkTable(entries: complete)
    }
}
