import Foundation
import GymCore

/// An environment that evaluates a closed-form test function: the synthetic environments share it.
///
/// With the option `noise=σ`, every metric gets Gaussian noise of standard deviation σ, drawn from a
/// generator seeded by the environment seed and the design's hash, so a seed still fixes every value.
/// With `delay=s`, every evaluation also waits s seconds, to stand in for a slow simulator when testing
/// parallel evaluation, time budgets and interrupted runs.
public struct TestFunctionEnvironment: Environment {
    /// The spec of this instance.
    public let spec: EnvironmentSpec
    /// The best value of the default objective, where it is known in closed form.
    public let knownOptimum: KnownOptimum
    private let function: @Sendable (Design) -> [String: Double]
    private let noise: Double
    private let delay: Double
    private let seed: UInt64

    /// The optimum of a test function, for checking agents and the function itself.
    public struct KnownOptimum: Sendable {
        /// A design attaining the optimum of a single-objective function.
        public var design: Design?
        /// The optimal metric values of that design.
        public var metrics: [String: Double]
        /// For a two-objective function: the hypervolume of the true Pareto front above `reference`
        /// (in the maximised, goal-signed form of the default objective).
        public var frontHypervolume: Double?
        /// The reference point of `frontHypervolume`.
        public var reference: [Double]?
    }

    /// Creates the environment from its spec (workload "default" only), the function and its optimum.
    public init(spec: EnvironmentSpec, options: EnvironmentOptions, knownOptimum: KnownOptimum,
                function: @escaping @Sendable (Design) -> [String: Double]) throws {
        var spec = spec
        spec.options = [
            OptionSpec(key: "noise", summary: "standard deviation of Gaussian noise added to every metric", defaultValue: "0"),
            OptionSpec(key: "delay", summary: "seconds each evaluation waits, to stand in for a slow simulator", defaultValue: "0"),
        ]
        spec.workload = try spec.resolveWorkload(options)
        let noiseText = options.values["noise"] ?? "0"
        guard let noise = Double(noiseText), noise >= 0, noise.isFinite else {
            throw EnvironmentError.invalidOption(key: "noise", value: noiseText, reason: "expected a number ≥ 0")
        }
        let delayText = options.values["delay"] ?? "0"
        guard let delay = Double(delayText), delay >= 0, delay <= 3600 else {
            throw EnvironmentError.invalidOption(key: "delay", value: delayText, reason: "expected seconds from 0 to 3600")
        }
        self.delay = delay
        self.spec = spec
        self.knownOptimum = knownOptimum
        self.function = function
        self.noise = noise
        self.seed = options.seed
    }

    /// Evaluates the function on a valid design.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let canonical = try spec.space.validate(design)
        if delay > 0 { try EvaluationDeadline.sleep(delay) }
        var metrics = function(canonical)
        if noise > 0 {
            var generator = SeededGenerator(seed: Seeds.derive(seed, canonical.hash))
            for name in spec.metrics.map(\.name) {
                metrics[name]? += noise * generator.nextGaussian()
            }
        }
        return Evaluation(status: .ok, metrics: metrics)
    }

    static let defaultWorkload = [WorkloadSpec(name: "default", summary: "the function as defined")]
}
