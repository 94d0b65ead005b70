import Foundation
import GymCore

/// Logged trials as a regression dataset: one row per distinct design, its unit-vector encoding as the
/// features, and one target column per metric.
///
/// Honest by construction: only `ok` evaluations with every chosen metric finite are kept, cached
/// trials (copies of earlier evaluations) are left out, and a design seen twice is kept once, so the same
/// design can never sit on both sides of a train/test split.
public struct Dataset: Sendable {
    /// The metrics, in column order.
    public let metrics: [String]
    /// Encoded designs, one row each.
    public private(set) var features: [[Double]]
    /// Targets by metric, in row order (log-transformed when `logTargets`).
    public private(set) var targets: [String: [Double]]
    /// Whether the targets are log(x); predictions are then exp(·) of the model's output.
    public let logTargets: Bool
    /// The hash of each row's design, in row order.
    public private(set) var designHashes: [String]

    /// Rows.
    public var count: Int { features.count }

    /// A dataset of `trials` over `space`, for `metrics`, leaving out the designs whose hashes are in
    /// `excluding` (those of another dataset, so a design never sits on both sides of a split).
    public init(trials: [Trial], space: ParameterSpace, metrics: [String], logTargets: Bool = false, excluding: Set<String> = []) throws {
        self.metrics = metrics
        self.logTargets = logTargets
        features = []
        designHashes = []
        targets = Dictionary(uniqueKeysWithValues: metrics.map { ($0, [Double]()) })
        var seen = excluding
        for trial in trials where trial.evaluation.status == .ok && !trial.cached {
            let values = metrics.map { trial.evaluation.metrics[$0] }
            guard values.allSatisfy({ $0 != nil && $0!.isFinite }) else { continue }
            if logTargets && values.contains(where: { $0! <= 0 }) {
                throw ProxyError.invalidData("a log transform needs positive targets; a trial has \(zip(metrics, values).map { "\($0)=\($1!)" }.joined(separator: ", "))")
            }
            guard let canonical = try? space.validate(trial.design), seen.insert(canonical.hash).inserted else { continue }
            features.append(space.unitVector(canonical))
            designHashes.append(canonical.hash)
            for (metric, value) in zip(metrics, values) { targets[metric]!.append(logTargets ? Foundation.log(value!) : value!) }
        }
    }

    /// The rows at `indices`.
    public func subset(_ indices: [Int]) -> Dataset {
        var copy = self
        copy.features = indices.map { features[$0] }
        copy.designHashes = indices.map { designHashes[$0] }
        copy.targets = targets.mapValues { column in indices.map { column[$0] } }
        return copy
    }
}

/// A dataset or model that cannot be used, with the reason.
public enum ProxyError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidData(String)
    case invalidSetting(String)
    case invalidFile(String)

    /// The reason alone.
    public var reason: String {
        switch self {
        case .invalidData(let reason), .invalidSetting(let reason), .invalidFile(let reason): return reason
        }
    }

    public var description: String {
        switch self {
        case .invalidData(let reason): return "invalid training data: \(reason)"
        case .invalidSetting(let reason): return "invalid setting: \(reason)"
        case .invalidFile(let reason): return "proxy file: \(reason)"
        }
    }
}
