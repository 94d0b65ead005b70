import Foundation

/// The solvers of the test bed.
public enum Solver: String, CaseIterable, Sendable {
    /// DDIM (= DPM-Solver-1, data prediction), one evaluation per step.
    case ddim
    /// DPM-Solver-2, single-step with a midpoint in λ: two evaluations per step.
    case dpmSolver2 = "dpm-solver-2"
    /// DPM-Solver++ multistep (data prediction), order 1–3 with warm-up and optional lower-order final steps.
    case dpmSolverPlusPlus = "dpm-solver++"
    /// UniPC-bh2 (data prediction), order 1–2, with the UniC corrector on or off at no extra evaluation.
    case uniPC = "unipc"
}

/// One point of the sampler design space: a solver schedule for the probability-flow ODE.
public struct SamplerSchedule: Sendable, Hashable {
    /// The number of function (denoiser) evaluations.
    public var nfe: Int
    /// The solver.
    public var solver: Solver
    /// The solver's order (DPM-Solver++: 1–3; UniPC: 1–2, higher values act as 2; others ignore it).
    public var order: Int
    /// Where the time steps go.
    public var spacing: Spacing
    /// UniPC's corrector.
    public var corrector: Bool
    /// Lower the order of the last steps (DPM-Solver++ when it has under 10 steps; UniPC always).
    public var lowerOrderFinal: Bool
    /// Scale of DPM-Solver++(3M)'s second-difference term (1 in the common form; 2 gives order ≈ 3).
    public var secondDifferenceScale: Double
    /// ρ of the Karras spacing.
    public var karrasRho: Double
    /// DC-Solver's dynamic compensation of the multistep solvers (DPM-Solver++, UniPC).
    public var compensation: Compensation

    /// Creates a schedule.
    public init(nfe: Int, solver: Solver, order: Int = 2, spacing: Spacing = .logSNR, corrector: Bool = true,
                lowerOrderFinal: Bool = true, secondDifferenceScale: Double = 1, karrasRho: Double = 7,
                compensation: Compensation = .none) {
        self.nfe = nfe
        self.solver = solver
        self.order = order
        self.spacing = spacing
        self.corrector = corrector
        self.lowerOrderFinal = lowerOrderFinal
        self.secondDifferenceScale = secondDifferenceScale
        self.karrasRho = karrasRho
        self.compensation = compensation
    }
}

/// Dynamic compensation (Zhao et al., DC-Solver, ECCV 2024): before a multistep update, the latest model
/// output is replaced by the Lagrange interpolation, in t, of the last three outputs at
/// t' = ρ·t_prev + (1 − ρ)·t_prev2 — a model output moved along the trajectory, which realigns a
/// predictor–corrector solver whose last output was taken at the uncorrected point. ρ = 1 is the output
/// itself (no compensation). The ratio of each step is a line in the step's position, ρ = ratio + slope·u,
/// u going from 0 at the first compensated step (the third, once three outputs exist) to 1 at the last.
public struct Compensation: Sendable, Hashable {
    /// ρ at the first compensated step.
    public var ratio: Double
    /// How much ρ changes from the first compensated step to the last.
    public var slope: Double

    /// No compensation: ρ = 1 everywhere.
    public static let none = Compensation(ratio: 1, slope: 0)

    /// Creates a compensation.
    public init(ratio: Double, slope: Double) {
        self.ratio = ratio
        self.slope = slope
    }

    /// ρ of step `step` (1-based) of `steps`.
    func ratio(step: Int, of steps: Int) -> Double {
        ratio + slope * (steps > 3 ? Double(step - 3) / Double(steps - 3) : 0)
    }

    /// The compensated output before step `step` (1-based) of a multistep solver whose outputs so far are
    /// `models` at `times` (models[i] at times[i]); `nil` when the step is not compensated.
    func output(step: Int, of steps: Int, models: [[Double]], times: [Double]) -> [Double]? {
        guard self != .none, step >= 3, models.count >= 3 else { return nil }
        let rho = ratio(step: step, of: steps)
        guard rho != 1 else { return nil }
        let nodes = [step - 1, step - 2, step - 3]
        let target = rho * times[step - 1] + (1 - rho) * times[step - 2]
        // Lagrange basis weights at the target.
        let weights = nodes.map { i in
            nodes.filter { $0 != i }.reduce(1.0) { $0 * (target - times[$1]) / (times[i] - times[$1]) }
        }
        var result = [Double](repeating: 0, count: models[step - 1].count)
        for (weight, node) in zip(weights, nodes) {
            models[node].withUnsafeBufferPointer { model in
                for index in result.indices { result[index] += weight * model[index] }
            }
        }
        return result
    }
}

/// Integrates the probability-flow ODE from t = 1 to ε with a sampler schedule, counting denoiser calls.
public struct ODESampler: Sendable {
    /// The exact model.
    public let denoiser: MixtureDenoiser
    /// Where sampling ends (ε = 10⁻³).
    public let end: Double

    /// Creates a sampler over `denoiser`, ending at `end`.
    public init(denoiser: MixtureDenoiser, end: Double = 1e-3) {
        self.denoiser = denoiser
        self.end = end
    }

    private var schedule: VPSchedule { denoiser.schedule }

    /// The samples at t = ε from start points `x1` (row-major, count × D), and the evaluations used.
    public func sample(_ x1: [Double], with plan: SamplerSchedule) -> (samples: [Double], evaluations: Int) {
        switch plan.solver {
        case .ddim: return ddim(x1, plan)
        case .dpmSolver2: return dpmSolver2(x1, plan)
        case .dpmSolverPlusPlus: return dpmSolverPlusPlus(x1, plan)
        case .uniPC: return uniPC(x1, plan)
        }
    }

    private func grid(_ steps: Int, _ plan: SamplerSchedule) -> [Double] {
        plan.spacing.times(steps: steps, end: end, schedule: schedule, rho: plan.karrasRho)
    }

    /// x_t = (σ_t/σ_s) x_s − α_t·expm1(−h)·x̂0(x_s, s).
    private func ddim(_ x1: [Double], _ plan: SamplerSchedule) -> ([Double], Int) {
        let times = grid(plan.nfe, plan)
        var x = x1
        for step in 1..<times.count {
            let (s, t) = (times[step - 1], times[step])
            let h = schedule.lambda(t) - schedule.lambda(s)
            let model = denoiser.dataPrediction(x, at: s)
            x = combine(schedule.sigma(t) / schedule.sigma(s), x, -schedule.alpha(t) * expm1(-h), model)
        }
        return (x, plan.nfe)
    }

    /// Two evaluations per step (midpoint s1 = t(λ_s + h/2)); an odd budget makes the last step first order.
    private func dpmSolver2(_ x1: [Double], _ plan: SamplerSchedule) -> ([Double], Int) {
        let orders = Array(repeating: 2, count: plan.nfe / 2) + (plan.nfe % 2 == 1 ? [1] : [])
        let times: [Double]
        if plan.spacing == .logSNR {
            times = grid(orders.count, plan)
        } else {
            // The NFE-point grid of the chosen spacing, taken at the cumulative-order indices.
            let fine = grid(plan.nfe, plan)
            var index = 0
            times = [fine[0]] + orders.map { order in
                index += order
                return fine[index]
            }
        }
        var x = x1
        var evaluations = 0
        for (step, order) in orders.enumerated() {
            let (s, t) = (times[step], times[step + 1])
            let (lambdaS, lambdaT) = (schedule.lambda(s), schedule.lambda(t))
            let h = lambdaT - lambdaS
            let noise = denoiser.noisePrediction(x, at: s)
            evaluations += 1
            if order == 1 {
                x = combine(schedule.alpha(t) / schedule.alpha(s), x, -schedule.sigma(t) * expm1(h), noise)
                continue
            }
            let s1 = schedule.time(lambda: lambdaS + h / 2)
            let u = combine(schedule.alpha(s1) / schedule.alpha(s), x, -schedule.sigma(s1) * expm1(h / 2), noise)
            let midpointNoise = denoiser.noisePrediction(u, at: s1)
            evaluations += 1
            x = combine(schedule.alpha(t) / schedule.alpha(s), x, -schedule.sigma(t) * expm1(h), midpointNoise)
        }
        return (x, evaluations)
    }

    /// The order of multistep step `step` (1-based) of `steps`.
    private func stepOrder(_ step: Int, of steps: Int, maximum: Int, lowerOrderFinal: Bool) -> Int {
        var order = min(maximum, step)
        if lowerOrderFinal { order = min(order, steps + 1 - step) }
        return max(order, 1)
    }

    /// The grid of a multistep solver: one step per evaluation, with each point's λ.
    private func multistepGrid(_ plan: SamplerSchedule) -> (times: [Double], lambdas: [Double]) {
        let times = grid(plan.nfe, plan)
        return (times, times.map(schedule.lambda))
    }

    private func dpmSolverPlusPlus(_ x1: [Double], _ plan: SamplerSchedule) -> ([Double], Int) {
        let steps = plan.nfe
        let (times, lambdas) = multistepGrid(plan)
        var x = x1
        var models = [denoiser.dataPrediction(x, at: times[0])]
        var evaluations = 1
        let maximum = min(max(plan.order, 1), 3)
        for step in 1...steps {
            if let compensated = plan.compensation.output(step: step, of: steps, models: models, times: times) { models[step - 1] = compensated }
            let order = stepOrder(step, of: steps, maximum: maximum, lowerOrderFinal: plan.lowerOrderFinal && steps < 10)
            let (s, t) = (times[step - 1], times[step])
            let h = lambdas[step] - lambdas[step - 1]
            let alphaT = schedule.alpha(t)
            let phi1 = expm1(-h)
            let m0 = models[step - 1]
            var terms: [(Double, [Double])] = [(schedule.sigma(t) / schedule.sigma(s), x), (-alphaT * phi1, m0)]
            if order >= 2 {
                let m1 = models[step - 2]
                let r0 = (lambdas[step - 1] - lambdas[step - 2]) / h
                let d10 = combine(1 / r0, m0, -1 / r0, m1)
                if order == 2 {
                    terms.append((-0.5 * alphaT * phi1, d10))
                } else {
                    let m2 = models[step - 3]
                    let r1 = (lambdas[step - 2] - lambdas[step - 3]) / h
                    let d11 = combine(1 / r1, m1, -1 / r1, m2)
                    let d1 = combine(1 + r0 / (r0 + r1), d10, -r0 / (r0 + r1), d11)
                    let d2 = combine(1 / (r0 + r1), d10, -1 / (r0 + r1), d11)
                    let phi2 = phi1 / h + 1
                    let phi3 = phi2 / h - 0.5
                    terms.append((alphaT * phi2, d1))
                    terms.append((-alphaT * phi3 * plan.secondDifferenceScale, d2))
                }
            }
            x = linearCombination(terms)
            if step < steps {
                models.append(denoiser.dataPrediction(x, at: t))
                evaluations += 1
            }
        }
        return (x, evaluations)
    }

    private func uniPC(_ x1: [Double], _ plan: SamplerSchedule) -> ([Double], Int) {
        let steps = plan.nfe
        let (times, lambdas) = multistepGrid(plan)
        var x = x1
        var models = [denoiser.dataPrediction(x, at: times[0])]
        var evaluations = 1
        let maximum = min(max(plan.order, 1), 2)
        for step in 1...steps {
            if let compensated = plan.compensation.output(step: step, of: steps, models: models, times: times) { models[step - 1] = compensated }
            let order = stepOrder(step, of: steps, maximum: maximum, lowerOrderFinal: plan.lowerOrderFinal)
            let (s, t) = (times[step - 1], times[step])
            let h = lambdas[step] - lambdas[step - 1]
            let hh = -h
            let phi1 = expm1(hh)
            let b = expm1(hh)  // B(h) of the bh2 variant
            let hPhi = phi1 / hh - 1
            let b1 = hPhi / b
            let b2 = 2 * (hPhi / hh - 0.5) / b
            let alphaT = schedule.alpha(t)
            let m0 = models[step - 1]
            let base = combine(schedule.sigma(t) / schedule.sigma(s), x, -alphaT * phi1, m0)
            var d1: [Double]?
            var rK = 0.0
            var predicted = base
            if order == 2 {
                rK = (lambdas[step - 2] - lambdas[step - 1]) / h
                let m1 = models[step - 2]
                let difference = combine(1 / rK, m1, -1 / rK, m0)
                d1 = difference
                predicted = combine(1, base, -alphaT * b * 0.5, difference)
            }
            x = predicted
            guard step < steps else { break }
            let modelT = denoiser.dataPrediction(predicted, at: t)
            evaluations += 1
            models.append(modelT)
            if plan.corrector {
                let delta = combine(1, modelT, -1, m0)
                if let d1 {
                    // ρ solves [[1, 1], [r_k, 1]] ρ = [b1, b2].
                    let rho0 = (b1 - b2) / (1 - rK)
                    let rho1 = b1 - rho0
                    x = linearCombination([(1, base), (-alphaT * b * rho0, d1), (-alphaT * b * rho1, delta)])
                } else {
                    x = combine(1, base, -alphaT * b * 0.5, delta)
                }
            }
        }
        return (x, evaluations)
    }
}
