import Foundation

/// The exact denoiser of a Gaussian mixture under the VP diffusion: the "model" every solver calls.
///
/// At time t the data law is Σ_k π_k N(α_t μ_k, diag(v_k)), v_k = α_t² s_k² + σ_t². With responsibilities
/// r_k(x) = softmax_k(log π_k − ½ Σ_d [(x_d − α_t μ_kd)²/v_kd + log(2π v_kd)]), the score is
/// −Σ_k r_k (x − α_t μ_k) ⊘ v_k; data prediction x̂0 = (x + σ_t² score)/α_t; noise prediction ε = −σ_t score.
/// Samples are rows of a flat row-major array (count × D).
public struct MixtureDenoiser: Sendable {
    /// The data distribution.
    public let mixture: GaussianMixture
    /// The diffusion.
    public let schedule: VPSchedule

    /// Creates the denoiser.
    public init(mixture: GaussianMixture, schedule: VPSchedule = VPSchedule()) {
        self.mixture = mixture
        self.schedule = schedule
    }

    /// The score ∇ log p_t at every row of `x`.
    public func score(_ x: [Double], at t: Double) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { result in score(x, at: t, into: result) }
        }
        return result
    }

    /// Writes the score at every row of `x` into `result` (same length), allocating nothing per row.
    public func score(_ x: UnsafeBufferPointer<Double>, at t: Double, into result: UnsafeMutableBufferPointer<Double>) {
        let alpha = schedule.alpha(t)
        let sigma = schedule.sigma(t)
        let dimension = mixture.dimension
        let components = mixture.components
        // Per component: scaled mean, inverse variance, and log π_k − ½ Σ_d log(2π v_kd).
        var center = [Double](repeating: 0, count: components * dimension)
        var inverseVariance = [Double](repeating: 0, count: components * dimension)
        var offset = [Double](repeating: 0, count: components)
        for k in 0..<components {
            var logNormalizer = log(mixture.weights[k])
            for d in 0..<dimension {
                let s = mixture.standardDeviations[k][d]
                let variance = alpha * alpha * s * s + sigma * sigma
                center[k * dimension + d] = alpha * mixture.means[k][d]
                inverseVariance[k * dimension + d] = 1 / variance
                logNormalizer -= 0.5 * log(2 * Double.pi * variance)
            }
            offset[k] = logNormalizer
        }
        let rows = x.count / dimension
        var logits = [Double](repeating: 0, count: components)
        center.withUnsafeBufferPointer { center in
            inverseVariance.withUnsafeBufferPointer { inverseVariance in
                offset.withUnsafeBufferPointer { offset in
                    logits.withUnsafeMutableBufferPointer { logits in
                        for row in 0..<rows {
                            let base = row * dimension
                            var largest = -Double.infinity
                            for k in 0..<components {
                                var quadratic = 0.0
                                let kBase = k * dimension
                                for d in 0..<dimension {
                                    let difference = x[base + d] - center[kBase + d]
                                    quadratic += difference * difference * inverseVariance[kBase + d]
                                }
                                let logit = offset[k] - 0.5 * quadratic
                                logits[k] = logit
                                if logit > largest { largest = logit }
                            }
                            var total = 0.0
                            for k in 0..<components {
                                // e^(−37) ≈ 8.5e-17 is below half an ulp of the largest weight (1): such a
                                // component cannot change the sum, so its exponential is skipped.
                                let exponent = logits[k] - largest
                                let weight = exponent < -37 ? 0 : exp(exponent)
                                logits[k] = weight
                                total += weight
                            }
                            for d in 0..<dimension { result[base + d] = 0 }
                            for k in 0..<components where logits[k] != 0 {
                                let responsibility = logits[k] / total
                                let kBase = k * dimension
                                for d in 0..<dimension {
                                    result[base + d] -= responsibility * (x[base + d] - center[kBase + d]) * inverseVariance[kBase + d]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Data prediction x̂0(x, t) = (x + σ_t² · score)/α_t.
    public func dataPrediction(_ x: [Double], at t: Double) -> [Double] {
        let alpha = schedule.alpha(t)
        let sigma = schedule.sigma(t)
        let score = score(x, at: t)
        return zip(x, score).map { ($0 + sigma * sigma * $1) / alpha }
    }

    /// Noise prediction ε(x, t) = −σ_t · score.
    public func noisePrediction(_ x: [Double], at t: Double) -> [Double] {
        let sigma = schedule.sigma(t)
        return score(x, at: t).map { -sigma * $0 }
    }
}

/// a·x + b·y, element-wise.
@inline(__always) func combine(_ a: Double, _ x: [Double], _ b: Double, _ y: [Double]) -> [Double] {
    var result = [Double](repeating: 0, count: x.count)
    for i in x.indices { result[i] = a * x[i] + b * y[i] }
    return result
}

/// Σ c_i·v_i, element-wise.
@inline(__always) func linearCombination(_ terms: [(Double, [Double])]) -> [Double] {
    var result = [Double](repeating: 0, count: terms[0].1.count)
    for (coefficient, vector) in terms where coefficient != 0 {
        for i in result.indices { result[i] += coefficient * vector[i] }
    }
    return result
}
