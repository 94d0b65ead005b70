import Foundation

/// The variance-preserving diffusion with a linear β schedule (Song et al. 2021; the DPM-Solver papers'
/// "VP, linear" noise schedule), in float64.
///
/// β(t) = β0 + t(β1 − β0); log α_t = −¼t²(β1 − β0) − ½tβ0; σ_t = √(1 − α_t²); λ_t = log α_t − log σ_t.
public struct VPSchedule: Sendable, Hashable {
    /// β at t = 0.
    public var beta0 = 0.1
    /// β at t = 1.
    public var beta1 = 20.0

    /// The standard schedule (β0 = 0.1, β1 = 20).
    public init() {}

    /// log α_t.
    public func logAlpha(_ t: Double) -> Double { -0.25 * t * t * (beta1 - beta0) - 0.5 * t * beta0 }

    /// α_t, the signal scale.
    public func alpha(_ t: Double) -> Double { exp(logAlpha(t)) }

    /// σ_t = √(1 − α_t²), computed as √(−expm1(2 log α_t)) to keep precision near t = 0.
    public func sigma(_ t: Double) -> Double { (-expm1(2 * logAlpha(t))).squareRoot() }

    /// λ_t = log α_t − log σ_t, the half log signal-to-noise ratio.
    public func lambda(_ t: Double) -> Double {
        let logAlpha = logAlpha(t)
        return logAlpha - 0.5 * log(-expm1(2 * logAlpha))
    }

    /// The time whose λ is `lambda`: t = 2L / (β0 + √(β0² + 2(β1 − β0)L)), L = log(1 + e^(−2λ)).
    public func time(lambda: Double) -> Double {
        // log(1 + e^(−2λ)) without overflow for very negative λ.
        let x = -2 * lambda
        let l = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
        return 2 * l / (beta0 + (beta0 * beta0 + 2 * (beta1 - beta0) * l).squareRoot())
    }
}
