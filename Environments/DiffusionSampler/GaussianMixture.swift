import Foundation
import GymCore

/// A mixture of Gaussians with diagonal covariances: the data distribution whose score is known at every
/// noise level of the diffusion.
public struct GaussianMixture: Sendable, Hashable, Codable {
    /// Component weights π_k (normalised to sum to 1).
    public var weights: [Double]
    /// Component means μ_k, K × D.
    public var means: [[Double]]
    /// Per-axis standard deviations s_k, K × D.
    public var standardDeviations: [[Double]]

    /// The number of components K.
    public var components: Int { weights.count }
    /// The dimension D.
    public var dimension: Int { means.first?.count ?? 0 }

    private enum CodingKeys: String, CodingKey {
        case weights, means, standardDeviations = "standard_deviations"
    }

    /// Creates a mixture, checking shapes and signs; weights are normalised.
    public init(weights: [Double], means: [[Double]], standardDeviations: [[Double]]) throws {
        func fail(_ reason: String) -> EnvironmentError {
            EnvironmentError.invalidOption(key: "mixture", value: "…", reason: reason)
        }
        guard !weights.isEmpty, weights.count == means.count, weights.count == standardDeviations.count else {
            throw fail("weights, means and standard_deviations need one entry per component")
        }
        guard let dimension = means.first?.count, dimension > 0,
              means.allSatisfy({ $0.count == dimension }), standardDeviations.allSatisfy({ $0.count == dimension }) else {
            throw fail("every mean and every standard-deviation list needs the same, non-zero length")
        }
        guard weights.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw fail("weights must be positive") }
        guard standardDeviations.joined().allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw fail("standard deviations must be positive")
        }
        guard means.joined().allSatisfy(\.isFinite) else { throw fail("means must be finite") }
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.means = means
        self.standardDeviations = standardDeviations
    }

    /// Reads `{"weights": [...], "means": [[...]], "standard_deviations": [[...]]}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(weights: try container.decode([Double].self, forKey: .weights),
                      means: try container.decode([[Double]].self, forKey: .means),
                      standardDeviations: try container.decode([[Double]].self, forKey: .standardDeviations))
    }

    /// "2d": eight components on a circle of radius 4, μ_k = 4(cos 2πk/8, sin 2πk/8),
    /// s_k = 0.2 + 0.05·(k mod 3), π_k = (k + 1)/36.
    public static let twoDimensional: GaussianMixture = {
        let means: [[Double]] = (0..<8).map { k in
            let angle = 2 * Double.pi * Double(k) / 8
            return [4 * cos(angle), 4 * sin(angle)]
        }
        let deviations: [[Double]] = (0..<8).map { k in Array(repeating: 0.2 + 0.05 * Double(k % 3), count: 2) }
        return try! GaussianMixture(weights: (0..<8).map { Double($0 + 1) / 36 }, means: means, standardDeviations: deviations)
    }()

    /// "8d": five components in eight dimensions, μ_kd = 3 sin(1.7k + 0.9d + 0.3),
    /// s_kd = 0.3 + 0.4(0.5 + 0.5 cos(2.3k + 1.1d)), π_k = (k + 1)/15.
    public static let eightDimensional: GaussianMixture = {
        let means: [[Double]] = (0..<5).map { k in
            (0..<8).map { d -> Double in 3 * sin(1.7 * Double(k) + 0.9 * Double(d) + 0.3) }
        }
        let deviations: [[Double]] = (0..<5).map { k in
            (0..<8).map { d -> Double in
                let wave: Double = cos(2.3 * Double(k) + 1.1 * Double(d))
                return 0.3 + 0.4 * (0.5 + 0.5 * wave)
            }
        }
        return try! GaussianMixture(weights: (0..<5).map { Double($0 + 1) / 15 }, means: means, standardDeviations: deviations)
    }()

    /// `count` samples of the data, row-major count × D: component = the first k with u < Σ_{j≤k} π_j
    /// (u = uniforms(999)[i]); x = μ_k + s_k ⊙ z with z = normals(1000, count × D).
    public func dataSamples(count: Int) -> [Double] {
        let uniform = ReproducibleRandom.uniforms(seed: 999, count: count)
        let noise = ReproducibleRandom.normals(seed: 1000, rows: count, columns: dimension)
        var cumulative: [Double] = []
        var running = 0.0
        for weight in weights {
            running += weight
            cumulative.append(running)
        }
        var samples = [Double](repeating: 0, count: count * dimension)
        for i in 0..<count {
            let k = cumulative.firstIndex { uniform[i] < $0 } ?? components - 1
            for d in 0..<dimension {
                samples[i * dimension + d] = means[k][d] + standardDeviations[k][d] * noise[i * dimension + d]
            }
        }
        return samples
    }
}
