import Foundation

/// Acquisition functions on a standardised, maximised objective: how much a candidate with posterior
/// mean μ and standard deviation σ is worth evaluating, given the best value so far f*.
enum Acquisition: String, CaseIterable, Codable {
    /// Expected improvement E[max(f − f* − ξ, 0)] = (μ − f* − ξ)Φ(z) + σφ(z), z = (μ − f* − ξ)/σ.
    case expectedImprovement = "ei"
    /// Upper confidence bound μ + κσ.
    case upperConfidenceBound = "ucb"
    /// Probability of improvement Φ((μ − f* − ξ)/σ).
    case probabilityOfImprovement = "pi"

    func value(mean: Double, deviation: Double, best: Double, xi: Double, kappa: Double) -> Double {
        switch self {
        case .upperConfidenceBound:
            return mean + kappa * deviation
        case .expectedImprovement:
            let gain = mean - best - xi
            let z = gain / deviation
            return gain * normalCDF(z) + deviation * normalPDF(z)
        case .probabilityOfImprovement:
            return normalCDF((mean - best - xi) / deviation)
        }
    }
}

@inline(__always) func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
@inline(__always) func normalPDF(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
