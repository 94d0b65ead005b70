import Foundation
import LinearAlgebra

/// The hyperparameters of a Matérn-5/2 Gaussian process with one length scale per input, in log space.
struct GPHyperparameters: Codable, Hashable {
    /// log σ_f², the signal variance.
    var logSignal: Double
    /// log ℓ_i, one length scale per input dimension.
    var logLengths: [Double]
    /// log σ_n², the noise variance.
    var logNoise: Double

    static let logLengthBounds = log(0.01)...log(20.0)
    static let logSignalBounds = log(0.05)...log(20.0)
    static let logNoiseBounds = log(1e-6)...log(1.0)

    /// Every coordinate clamped to its bounds.
    var clamped: GPHyperparameters {
        GPHyperparameters(logSignal: clamp(logSignal, Self.logSignalBounds),
                          logLengths: logLengths.map { clamp($0, Self.logLengthBounds) },
                          logNoise: clamp(logNoise, Self.logNoiseBounds))
    }

    var vector: [Double] { [logSignal] + logLengths + [logNoise] }

    init(logSignal: Double, logLengths: [Double], logNoise: Double) {
        self.logSignal = logSignal
        self.logLengths = logLengths
        self.logNoise = logNoise
    }

    init(vector: [Double]) {
        logSignal = vector[0]
        logLengths = Array(vector[1..<(vector.count - 1)])
        logNoise = vector[vector.count - 1]
    }
}

@inline(__always) func clamp(_ value: Double, _ range: ClosedRange<Double>) -> Double {
    min(max(value, range.lowerBound), range.upperBound)
}

/// A Gaussian process regressor with a Matérn-5/2 ARD kernel:
/// k(x, x′) = σ_f²·(1 + √5·r + 5r²/3)·exp(−√5·r), r² = Σ_i ((x_i − x′_i)/ℓ_i)², plus σ_n² on the diagonal.
struct GaussianProcess {
    let inputs: [[Double]]
    let hyperparameters: GPHyperparameters
    let factor: Cholesky
    let weights: [Double]  // K⁻¹·y
    private let inverseLengths: [Double]
    private let signal: Double

    /// Conditions the process on `inputs` and (standardised) `targets`; jitter is added to the diagonal
    /// until the kernel matrix factorises.
    init(inputs: [[Double]], targets: [Double], hyperparameters: GPHyperparameters) throws {
        self.inputs = inputs
        self.hyperparameters = hyperparameters
        inverseLengths = hyperparameters.logLengths.map { exp(-$0) }
        signal = exp(hyperparameters.logSignal)
        var kernel = Self.kernelMatrix(inputs, inverseLengths: inverseLengths, signal: signal)
        let noise = exp(hyperparameters.logNoise)
        var jitter = 1e-8
        var factor: Cholesky?
        while factor == nil {
            var attempt = kernel
            for i in 0..<inputs.count { attempt[i, i] += noise + jitter }
            factor = try? Cholesky(attempt)
            jitter *= 10
            if jitter > 1 { throw LinearAlgebraError.notPositiveDefinite(order: inputs.count) }
        }
        kernel = Matrix(rows: 0, columns: 0)
        self.factor = factor!
        weights = factor!.solve(targets)
    }

    /// Posterior mean and standard deviation of the latent function at each candidate.
    func predict(_ candidates: [[Double]]) -> (mean: [Double], deviation: [Double]) {
        guard !candidates.isEmpty else { return ([], []) }
        // K* is n × m: column j holds k(x_i, candidate_j).
        var cross = Matrix(rows: inputs.count, columns: candidates.count)
        for (j, candidate) in candidates.enumerated() {
            for (i, input) in inputs.enumerated() {
                cross[i, j] = Self.kernel(input, candidate, inverseLengths: inverseLengths, signal: signal)
            }
        }
        let mean = Matrix.product(cross, Matrix(column: weights), transposeA: true).storage
        let solved = factor.solveLower(cross)
        var deviation = [Double](repeating: 0, count: candidates.count)
        for j in 0..<candidates.count {
            var explained = 0.0
            for i in 0..<inputs.count { explained += solved[i, j] * solved[i, j] }
            deviation[j] = max(signal - explained, 1e-12).squareRoot()
        }
        return (mean, deviation)
    }

    // MARK: - Kernel

    @inline(__always) static func scaledDistance(_ a: [Double], _ b: [Double], _ inverseLengths: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices {
            let d = (a[i] - b[i]) * inverseLengths[i]
            sum += d * d
        }
        return sum.squareRoot()
    }

    @inline(__always) static func kernel(_ a: [Double], _ b: [Double], inverseLengths: [Double], signal: Double) -> Double {
        let r = scaledDistance(a, b, inverseLengths)
        let s = 5.0.squareRoot() * r
        return signal * (1 + s + s * s / 3) * exp(-s)
    }

    static func kernelMatrix(_ inputs: [[Double]], inverseLengths: [Double], signal: Double) -> Matrix {
        let n = inputs.count
        var matrix = Matrix(rows: n, columns: n)
        for j in 0..<n {
            for i in j..<n {
                let value = kernel(inputs[i], inputs[j], inverseLengths: inverseLengths, signal: signal)
                matrix[i, j] = value
                matrix[j, i] = value
            }
        }
        return matrix
    }

    // MARK: - Marginal likelihood

    /// The log marginal likelihood −½yᵀK⁻¹y − ½log|K| − (n/2)log 2π and its gradient with respect to
    /// the log hyperparameters, ½·tr((ααᵀ − K⁻¹)·∂K/∂θ). Nil when K does not factorise.
    static func logLikelihood(inputs: [[Double]], targets: [Double], hyperparameters h: GPHyperparameters)
        -> (value: Double, gradient: [Double])?
    {
        let n = inputs.count
        let dimension = h.logLengths.count
        let inverseLengths = h.logLengths.map { exp(-$0) }
        let signal = exp(h.logSignal)
        let noise = exp(h.logNoise)
        let root5 = 5.0.squareRoot()
        // One pass over the pairs: the kernel, and the factor of ∂k/∂log ℓ_d shared by every d,
        // (5/3)σ_f²(1 + √5r)e^(−√5r), kept for the gradient.
        var kernel = Matrix(rows: n, columns: n)
        var shared = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            for i in j..<n {
                let r = scaledDistance(inputs[i], inputs[j], inverseLengths)
                let decay = exp(-root5 * r)
                let k = signal * (1 + root5 * r + 5 * r * r / 3) * decay
                kernel[i, j] = k
                kernel[j, i] = k
                shared[i + j * n] = signal * 5.0 / 3.0 * (1 + root5 * r) * decay
            }
        }
        var noisy = kernel
        for i in 0..<n { noisy[i, i] += noise + 1e-8 }
        guard let factor = try? Cholesky(noisy) else { return nil }
        let alpha = factor.solve(targets)
        let value = -0.5 * zip(targets, alpha).reduce(0) { $0 + $1.0 * $1.1 } - 0.5 * factor.logDeterminant
            - 0.5 * Double(n) * log(2 * Double.pi)
        let inverse = factor.inverse
        var gradient = [Double](repeating: 0, count: dimension + 2)
        for j in 0..<n {
            let wDiagonal = alpha[j] * alpha[j] - inverse[j, j]
            gradient[dimension + 1] += 0.5 * wDiagonal * noise
            gradient[0] += 0.5 * wDiagonal * kernel[j, j]
            for i in (j + 1)..<max(n, j + 1) {
                // Symmetric pairs count twice: ½·2·W_ij.
                let w = alpha[i] * alpha[j] - inverse[i, j]
                gradient[0] += w * kernel[i, j]
                let common = w * shared[i + j * n]
                for d in 0..<dimension {
                    let scaled = (inputs[i][d] - inputs[j][d]) * inverseLengths[d]
                    gradient[1 + d] += common * scaled * scaled
                }
            }
        }
        return (value, gradient)
    }

    /// Maximises the log marginal likelihood by Adam in log space from each start, within bounds, and
    /// returns the best hyperparameters found.
    static func fit(inputs: [[Double]], targets: [Double], starts: [GPHyperparameters], iterations: Int) -> GPHyperparameters {
        var best = starts[0].clamped
        var bestValue = -Double.infinity
        for start in starts {
            var theta = start.clamped.vector
            var firstMoment = [Double](repeating: 0, count: theta.count)
            var secondMoment = [Double](repeating: 0, count: theta.count)
            let rate = 0.05, beta1 = 0.9, beta2 = 0.999
            for step in 1...max(iterations, 1) {
                guard let (value, gradient) = logLikelihood(inputs: inputs, targets: targets,
                                                            hyperparameters: GPHyperparameters(vector: theta)) else { break }
                if value > bestValue {
                    bestValue = value
                    best = GPHyperparameters(vector: theta)
                }
                for k in theta.indices {
                    firstMoment[k] = beta1 * firstMoment[k] + (1 - beta1) * gradient[k]
                    secondMoment[k] = beta2 * secondMoment[k] + (1 - beta2) * gradient[k] * gradient[k]
                    let corrected = firstMoment[k] / (1 - pow(beta1, Double(step)))
                    let scale = secondMoment[k] / (1 - pow(beta2, Double(step)))
                    theta[k] += rate * corrected / (scale.squareRoot() + 1e-8)  // ascent
                }
                theta = GPHyperparameters(vector: theta).clamped.vector
            }
        }
        return best
    }
}
