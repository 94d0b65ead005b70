import Foundation
import GymCore

/// A trained regressor of one metric.
public enum Regressor: Sendable, Codable, Equatable {
    case forest(RandomForest)
    case boosted(GradientBoosting)
    case gp(GaussianProcessRegression)
    case mlp(MultilayerPerceptron)
    case oblivious(ObliviousBoosting)

    /// The model kinds, as `gym proxy train --model` names them.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case forest, boosted, oblivious, gp, mlp
    }

    /// Trains a regressor of `kind` on `x`, `y` with its default hyperparameters.
    public static func train(_ kind: Kind, x: [[Double]], y: [Double], seed: UInt64) throws -> Regressor {
        try train(settings(kind, hyperparameters: [:]), x: x, y: y, seed: seed)
    }

    /// Predictions for many encoded designs (faster than one by one for oblivious boosting).
    public func predict(batch rows: [[Double]]) -> [Double] {
        if case .oblivious(let model) = self { return model.predict(batch: rows) }
        return rows.map(predict)
    }

    /// Throws `invalidFile` unless the model reads designs encoded in `width` coordinates and nothing else.
    public func validate(width: Int) throws {
        func require(_ condition: Bool, _ reason: String) throws {
            if !condition { throw ProxyError.invalidFile(reason) }
        }
        switch self {
        case .forest(let model): try model.ensemble.validate(width: width)
        case .boosted(let model): try model.ensemble.validate(width: width)
        case .oblivious(let model):
            try require(model.borders.count == width, "its trees test \(model.borders.count) features, but designs have \(width)")
        case .gp(let model):
            try require(!model.x.isEmpty && model.x.count == model.alpha.count, "it has \(model.x.count) training points and \(model.alpha.count) weights")
            try require(model.x.allSatisfy { $0.count == width }, "its training points do not all have \(width) features")
            try require(model.lengthScale > 0 && model.lengthScale.isFinite && model.alpha.allSatisfy(\.isFinite), "its length scale or weights are not finite and positive")
        case .mlp(let model):
            let sizes = model.sizes
            try require(sizes.count >= 2 && sizes.first == width && sizes.last == 1 && sizes.allSatisfy { $0 >= 1 && $0 <= 1 << 16 },
                        "its layer sizes \(sizes) do not run from \(width) features to one output")
            try require(model.weights.count == sizes.count - 1 && model.biases.count == sizes.count - 1, "it has \(model.weights.count) weight layers for \(sizes.count) sizes")
            for layer in 0..<(sizes.count - 1) {
                try require(model.weights[layer].count == sizes[layer] * sizes[layer + 1] && model.biases[layer].count == sizes[layer + 1],
                            "layer \(layer + 1)'s weights do not match its sizes \(sizes[layer])×\(sizes[layer + 1])")
            }
        }
    }

    public func predict(_ features: [Double]) -> Double {
        switch self {
        case .forest(let model): return model.predict(features)
        case .boosted(let model): return model.predict(features)
        case .gp(let model): return model.predict(features)
        case .mlp(let model): return model.predict(features)
        case .oblivious(let model): return model.predict(features)
        }
    }
}

/// A saved proxy: everything needed to use it in place of its environment, and how well it did.
public struct ProxyFile: Sendable, Codable, Equatable {
    /// The file format's version.
    /// 2: trees saved compiled (`TreeEnsemble`), and the hyperparameters given.
    public static let formatVersion = 2

    public var format: Int
    /// The environment it stands for (`Name-vN`), its workload and options, and its spec when trained.
    public var environment: String
    public var workload: String
    public var options: [String: String]
    public var spec: EnvironmentSpec
    /// The encoding: each design's unit vector over `spec.space`.
    public var encoding: String
    public var kind: Regressor.Kind
    /// Hyperparameters set at training (`-H name=value`); the others had their defaults.
    public var hyperparameters: [String: String]
    public var logTargets: Bool
    /// One model per metric.
    public var models: [String: Regressor]
    /// What it was trained on.
    public var trainingRows: Int
    public var experiments: [Int64]
    public var agents: [String]
    /// Scores on held-out rows, by metric (in the metric's own unit, after undoing any log transform).
    public var validation: [String: Scores]
    public var seed: String
    /// For a distilled proxy: its teacher, and how many designs the teacher labelled.
    public var distillation: Distillation.Record?

    public init(environment: EnvironmentSpec, options: [String: String], kind: Regressor.Kind,
                hyperparameters: [String: String] = [:], logTargets: Bool,
                models: [String: Regressor], trainingRows: Int, experiments: [Int64], agents: [String],
                validation: [String: Scores], seed: UInt64, distillation: Distillation.Record? = nil) {
        format = Self.formatVersion
        self.environment = environment.id
        workload = environment.workload
        self.options = options
        spec = environment
        encoding = "unit-vector"
        self.kind = kind
        self.hyperparameters = hyperparameters
        self.logTargets = logTargets
        self.models = models
        self.trainingRows = trainingRows
        self.experiments = experiments
        self.agents = agents
        self.validation = validation
        self.seed = String(seed)
        self.distillation = distillation
    }

    /// The metrics it predicts, in the environment's order.
    public var metrics: [String] { spec.metrics.map(\.name).filter { models[$0] != nil } }

    /// Throws `invalidFile` unless the proxy is whole: a space with parameters, at least one model, each
    /// of a metric of the environment and shaped for designs encoded over `spec.space`.
    public func validate() throws {
        let width = spec.space.parameters.count
        guard width > 0 else { throw ProxyError.invalidFile("the proxy's space has no parameters: there is nothing to predict from") }
        guard !models.isEmpty else { throw ProxyError.invalidFile("the proxy has no model") }
        for metric in models.keys.sorted() {
            guard spec.metric(named: metric) != nil else {
                throw ProxyError.invalidFile("the proxy has a model of '\(metric)', which \(environment) does not report")
            }
            do {
                try models[metric]!.validate(width: width)
            } catch let error as ProxyError {
                throw ProxyError.invalidFile("the model of \(metric): \(error.reason)")
            }
        }
    }

    /// The predicted metrics of an encoded design.
    public func predict(_ features: [Double]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (metric, model) in models {
            let output = model.predict(features)
            result[metric] = logTargets ? Foundation.exp(output) : output
        }
        return result
    }

    /// Writes the proxy as JSON.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a proxy; refuses files of another format and proxies of another version of the environment
    /// than `current` (when given).
    public static func load(_ path: String, current: EnvironmentSpec? = nil) throws -> ProxyFile {
        let file = try LoadedProxy.load(path).file
        if let current, current.id != file.environment {
            throw ProxyError.invalidFile(
                "\(path) was trained on \(file.environment), but the environment is now \(current.id): its numbers may have changed; train the proxy again")
        }
        return file
    }
}

/// A proxy file as read, with a fingerprint of its bytes. Each version of a file (path, size, modification
/// time) is read and decoded once per process: every environment instance made from it shares the models.
public struct LoadedProxy: Sendable {
    public let file: ProxyFile
    /// The first 12 hex digits of the file's SHA-256.
    public let fingerprint: String

    private struct Key: Hashable {
        var path: String
        var size: Int
        var modified: Double
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var entries: [Key: LoadedProxy] = [:]
    }

    private static let cache = Cache()

    /// The proxy at `path`, decoded on first use.
    public static func load(_ path: String) throws -> LoadedProxy {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let key = Key(path: path, size: attributes?[.size] as? Int ?? -1,
                      modified: (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        cache.lock.lock()
        if let cached = cache.entries[key] {
            cache.lock.unlock()
            return cached
        }
        cache.lock.unlock()
        let data: Data
        do {
            data = try InputFile.read(path, what: "proxy", limit: 1 << 30)
        } catch let error as InputFileError {
            throw ProxyError.invalidFile("\(error.description); train one with gym proxy train --out \(path)")
        }
        struct Header: Decodable { var format: Int }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw ProxyError.invalidFile("\(path) is not a proxy file written by gym proxy train")
        }
        guard header.format == ProxyFile.formatVersion else {
            throw ProxyError.invalidFile("\(path) has proxy format \(header.format); this DesignGym reads format \(ProxyFile.formatVersion): train the proxy again")
        }
        let file: ProxyFile
        do {
            file = try JSONDecoder().decode(ProxyFile.self, from: data)
            try file.validate()
        } catch let error as ProxyError {
            throw ProxyError.invalidFile("\(path): \(error.reason)")
        } catch let error as DecodingError {
            throw ProxyError.invalidFile("\(path) is not a valid proxy file (\(error.plainDescription))")
        } catch {
            throw ProxyError.invalidFile("\(path) is not a valid proxy file (\(error))")
        }
        let loaded = LoadedProxy(file: file, fingerprint: String(SHA256.hexDigest(data).prefix(12)))
        // A bounded cache: a process may read many proxies (or versions of one file) over its life.
        if cache.entries.count >= 16 { cache.entries.removeAll() }
        cache.lock.lock()
        cache.entries[key] = loaded
        cache.lock.unlock()
        return loaded
    }
}
