import Foundation
import GymCore

/// A saved proxy as an environment: the real environment's space, the metrics the proxy learned, and
/// predictions instead of simulations. Every agent, `gym run`, `gym serve` and the Python client use it
/// unchanged; each evaluation's details say it is a prediction and from which file.
///
/// Its id is `Proxy:<file>`. Its one workload names the real workload and the model's fingerprint, so a
/// retrained file never answers from the evaluation cache of the old one.
public struct ProxyEnvironment: Environment {
    /// The prefix of proxy environment ids.
    public static let prefix = "Proxy:"

    public let spec: EnvironmentSpec
    public let proxy: ProxyFile
    private let path: String
    /// Why the default objective is not the real environment's (it reads metrics the proxy does not
    /// predict), or nil when it is.
    public let objectiveNote: String?

    /// Loads the proxy at `path`; `current` is the real environment's spec now, to refuse a proxy of an
    /// older version.
    public init(path: String, current: EnvironmentSpec?, options: EnvironmentOptions) throws {
        let proxy = try ProxyFile.load(path, current: current)
        let fingerprint = try LoadedProxy.load(path).fingerprint
        let workload = "\(proxy.workload)@\(fingerprint)"
        let trained = proxy.metrics
        let metrics = proxy.spec.metrics.filter { trained.contains($0.name) }
        var defaultObjective = proxy.spec.defaultObjective
        var note: String?
        if (try? defaultObjective.resolved(against: metrics)) == nil, let first = metrics.first {
            defaultObjective = .metric(first.name, first.goal)
            note = "the proxy predicts \(trained.joined(separator: ", ")) only, so its default objective is \(defaultObjective), "
                + "not \(proxy.environment)'s \(proxy.spec.defaultObjective); choose another with --objective"
        }
        objectiveNote = note
        var spec = EnvironmentSpec(
            id: Self.prefix + path, summary: "proxy of \(proxy.environment) (\(proxy.kind.rawValue), \(proxy.trainingRows) trials): predictions, not simulations",
            space: proxy.spec.space, metrics: metrics,
            workloads: [WorkloadSpec(name: workload, summary: "\(proxy.environment) workload \(proxy.workload), model \(fingerprint)")],
            workload: workload, defaultObjective: defaultObjective,
            suggestedObjectives: proxy.spec.suggestedObjectives.filter { (try? $0.value.resolved(against: metrics)) != nil })
        spec.workload = try spec.resolveWorkload(options)
        self.spec = spec
        self.proxy = proxy
        self.path = path
    }

    public func evaluate(_ design: Design) throws -> Evaluation {
        let canonical = try spec.space.validate(design)
        let predicted = proxy.predict(spec.space.unitVector(canonical))
        return Evaluation(metrics: predicted, details: ["predicted": .bool(true), "proxy": .string(path)])
    }
}
