import Foundation
import GymCore
import LinearAlgebra

/// Gaussian-process regression with a Matérn-5/2 kernel on the unit-vector encoding.
///
/// Targets are standardised; the length scale and the noise are the pair of a small grid with the
/// highest log marginal likelihood, −½ yᵀK⁻¹y − ½ log|K| − n/2 log 2π (Rasmussen & Williams, eq. 2.30).
/// Training costs O(n³), so at most `maximumRows` rows are used (a seeded subset beyond that). The
/// mean prediction is k*ᵀ K⁻¹ y; with a tiny noise it interpolates its training points.
public struct GaussianProcessRegression: Sendable, Codable, Equatable {
    public struct Settings: Sendable, Codable, Equatable {
        public var lengthScales: [Double]
        /// Noise variances relative to the standardised targets' unit variance.
        public var noises: [Double]
        public var maximumRows: Int

        public init(lengthScales: [Double] = [0.05, 0.1, 0.2, 0.4, 0.8, 1.6], noises: [Double] = [1e-6, 1e-4, 1e-2, 1e-1],
                    maximumRows: Int = 1500) {
            self.lengthScales = lengthScales
            self.noises = noises
            self.maximumRows = maximumRows
        }
    }

    public private(set) var x: [[Double]]
    public private(set) var alpha: [Double]
    public private(set) var lengthScale: Double
    public private(set) var noise: Double
    public private(set) var mean: Double
    public private(set) var scale: Double

    static func kernel(_ a: [Double], _ b: [Double], _ lengthScale: Double) -> Double {
        var squared = 0.0
        for i in a.indices { squared += (a[i] - b[i]) * (a[i] - b[i]) }
        let r = squared.squareRoot() * 5.0.squareRoot() / lengthScale
        return (1 + r + r * r / 3) * Foundation.exp(-r)
    }

    public init(x: [[Double]], y: [Double], settings: Settings = Settings(), seed: UInt64) throws {
        guard !y.isEmpty, x.count == y.count else {
            throw ProxyError.invalidData("\(x.count) feature rows and \(y.count) targets; a GP needs at least one row of each")
        }
        guard !settings.lengthScales.isEmpty, !settings.noises.isEmpty, settings.maximumRows >= 1 else {
            throw ProxyError.invalidSetting("a GP needs length scales, noises and a positive row limit")
        }
        var rows = Array(y.indices)
        if rows.count > settings.maximumRows {
            var generator = SeededGenerator(seed: seed)
            generator.shuffleUpward(&rows)
            rows = Array(rows.prefix(settings.maximumRows)).sorted()
        }
        let features = rows.map { x[$0] }
        let targets = rows.map { y[$0] }
        let n = Double(targets.count)
        let average = targets.reduce(0, +) / n
        let deviation = (targets.reduce(0) { $0 + ($1 - average) * ($1 - average) } / n).squareRoot()
        let spread = deviation > 0 ? deviation : 1
        let standardised = targets.map { ($0 - average) / spread }
        var best: (likelihood: Double, lengthScale: Double, noise: Double, alpha: [Double])?
        for lengthScale in settings.lengthScales {
            var gram = Matrix(rows: features.count, columns: features.count)
            for i in features.indices {
                for j in 0...i {
                    let value = Self.kernel(features[i], features[j], lengthScale)
                    gram[i, j] = value
                    gram[j, i] = value
                }
            }
            for noise in settings.noises {
                var k = gram
                for i in features.indices { k[i, i] += noise }
                guard let cholesky = try? Cholesky(k) else { continue }
                let alpha = cholesky.solve(standardised)
                let likelihood = -0.5 * dot(standardised, alpha) - 0.5 * cholesky.logDeterminant - 0.5 * n * Foundation.log(2 * Double.pi)
                if best == nil || likelihood > best!.likelihood { best = (likelihood, lengthScale, noise, alpha) }
            }
        }
        guard let best else { throw ProxyError.invalidData("no kernel setting gave a positive-definite covariance") }
        self.x = features
        alpha = best.alpha
        lengthScale = best.lengthScale
        noise = best.noise
        mean = average
        scale = spread
    }

    public func predict(_ features: [Double]) -> Double {
        var sum = 0.0
        for (row, weight) in zip(x, alpha) { sum += weight * Self.kernel(row, features, lengthScale) }
        return mean + scale * sum
    }
}
