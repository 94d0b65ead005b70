import Foundation

/// How a solver's time steps are placed between t = 1 and t = ε.
public enum Spacing: String, CaseIterable, Sendable {
    /// Uniform in t: linspace(1, ε, N + 1).
    case timeUniform = "time-uniform"
    /// Uniform in λ (half log-SNR): t(linspace(λ(1), λ(ε), N + 1)).
    case logSNR = "logsnr"
    /// Uniform in √t: linspace(1, √ε, N + 1)².
    case timeQuadratic = "time-quadratic"
    /// Karras et al. (EDM, 2022) ρ-spacing of the noise level σ/α = e^(−λ):
    /// (σmax^(1/ρ) + i/N·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ.
    case karras

    /// The N + 1 times from 1 down to `end`.
    public func times(steps: Int, end: Double, schedule: VPSchedule, rho: Double) -> [Double] {
        let n = Double(steps)
        switch self {
        case .timeUniform:
            return (0...steps).map { $0 == steps ? end : 1 + (end - 1) * Double($0) / n }
        case .logSNR:
            let first = schedule.lambda(1)
            let last = schedule.lambda(end)
            return (0...steps).map { index in
                index == 0 ? 1 : index == steps ? end : schedule.time(lambda: first + (last - first) * Double(index) / n)
            }
        case .timeQuadratic:
            let last = end.squareRoot()
            return (0...steps).map { index in
                let root = 1 + (last - 1) * Double(index) / n
                return index == steps ? end : root * root
            }
        case .karras:
            let high = pow(exp(-schedule.lambda(1)), 1 / rho)
            let low = pow(exp(-schedule.lambda(end)), 1 / rho)
            return (0...steps).map { index in
                if index == 0 { return 1 }
                if index == steps { return end }
                let noise = pow(high + (low - high) * Double(index) / n, rho)
                return schedule.time(lambda: -log(noise))
            }
        }
    }
}
