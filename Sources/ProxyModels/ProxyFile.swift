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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProxyError.invalidFile("cannot read \(path); train one with gym proxy train --out \(path)")
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
        } catch {
            throw ProxyError.invalidFile("\(path) is not a valid proxy file (\(error))")
        }
        let loaded = LoadedProxy(file: file, fingerprint: String(SHA256.hexDigest(data).prefix(12)))
        cache.lock.lock()
        cache.entries[key] = loaded
        cache.lock.unlock()
        return loaded
    }
}
