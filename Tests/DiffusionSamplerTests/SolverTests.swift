import Foundation
import GymCore
import Testing
@testable import DiffusionSampler

/// Per-sample distances to the reference, for 200 start points of the "2d" workload.
struct SmallProblem {
    static let shared = SmallProblem()
    let denoiser = MixtureDenoiser(mixture: .twoDimensional)
    let start = ReproducibleRandom.normals(seed: 1234, rows: 200, columns: 2)
    let reference: [Double]

    // Without a deadline bound, solving cannot fail.
    init() { reference = try! ReferenceSolution.solve(start, denoiser: denoiser) }

    /// The median over samples of ‖x − x_ref‖₂. The median, not the mean: a few start points lie near the
    /// boundary between two modes, where a step error can send them to the other mode; those errors do
    /// not shrink with the step size until it is tiny, and would hide the order of the method.
    func medianError(_ plan: SamplerSchedule) -> Double {
        let x = ODESampler(denoiser: denoiser).sample(start, with: plan).samples
        let errors = (0..<200).map { row in
            let dx = x[2 * row] - reference[2 * row], dy = x[2 * row + 1] - reference[2 * row + 1]
            return (dx * dx + dy * dy).squareRoot()
        }.sorted()
        return (errors[99] + errors[100]) / 2
    }

    /// The observed order between 40 and 80 evaluations: log₂(e40/e80).
    func order(_ make: (Int) -> SamplerSchedule) -> Double {
        log2(medianError(make(40)) / medianError(make(80)))
    }
}

@Suite struct SolverTests {
    let problem = SmallProblem.shared

    @Test func ddimConvergesAtFirstOrder() {
        let order = problem.order { SamplerSchedule(nfe: $0, solver: .ddim) }
        #expect(order > 0.9 && order < 1.15, "order \(order)")
    }

    @Test func dpmSolver2AndDpmSolverPlusPlus2MConvergeAtSecondOrder() {
        let single = problem.order { SamplerSchedule(nfe: $0, solver: .dpmSolver2) }
        #expect(single > 1.8 && single < 2.4, "DPM-Solver-2 order \(single)")
        let multistep = problem.order { SamplerSchedule(nfe: $0, solver: .dpmSolverPlusPlus, order: 2) }
        #expect(multistep > 1.8 && multistep < 2.4, "DPM-Solver++(2M) order \(multistep)")
    }

    @Test func uniPCWithTheCorrectorGainsAnOrder() {
        let corrected = problem.order { SamplerSchedule(nfe: $0, solver: .uniPC, order: 2, corrector: true) }
        #expect(corrected > 2.7 && corrected < 3.4, "UniPC-bh2 + UniC order \(corrected)")
        let predictorOnly = problem.order { SamplerSchedule(nfe: $0, solver: .uniPC, order: 2, corrector: false) }
        #expect(predictorOnly > 1.8 && predictorOnly < 2.4, "UniPC-bh2 without corrector order \(predictorOnly)")
    }

    @Test func theSecondDifferenceScaleDecidesDpmSolverPlusPlus3MsOrder() {
        // The common form of 3M converges at about order 2 here; doubling D2 gives order about 3.
        let common = problem.order { SamplerSchedule(nfe: $0, solver: .dpmSolverPlusPlus, order: 3) }
        let doubled = problem.order { SamplerSchedule(nfe: $0, solver: .dpmSolverPlusPlus, order: 3, secondDifferenceScale: 2) }
        #expect(common > 1.8 && common < 2.6, "3M order \(common)")
        #expect(doubled > 2.8 && doubled < 3.6, "3M with 2·D2 order \(doubled)")
    }

    @Test func everySolverUsesExactlyItsEvaluationBudget() {
        let sampler = ODESampler(denoiser: problem.denoiser)
        let start = Array(problem.start[0..<20])
        for solver in Solver.allCases {
            for nfe in [4, 5, 9, 10, 17] {
                for spacing in Spacing.allCases {
                    let plan = SamplerSchedule(nfe: nfe, solver: solver, order: 3, spacing: spacing)
                    #expect(sampler.sample(start, with: plan).evaluations == nfe, "\(solver) \(spacing) NFE \(nfe)")
                }
            }
        }
    }

    @Test func spacingsRunFromOneToEpsilonAndDescend() {
        let schedule = VPSchedule()
        for spacing in Spacing.allCases {
            let times = spacing.times(steps: 12, end: 1e-3, schedule: schedule, rho: 7)
            #expect(times.count == 13)
            #expect(times.first == 1 && times.last == 1e-3)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 > $1 }, "\(spacing)")
        }
        // logSNR spacing: equal steps in λ, (λ(ε) − λ(1))/12 = (4.5577149 + 5.0249784)/12 ≈ 0.7985578.
        let lambdas = Spacing.logSNR.times(steps: 12, end: 1e-3, schedule: schedule, rho: 7).map(schedule.lambda)
        for (a, b) in zip(lambdas, lambdas.dropFirst()) { #expect(abs((b - a) - 0.79855778) < 1e-6) }
        // Time-quadratic: √t uniform, so the midpoint is ((1 + √0.001)/2)² ≈ 0.266311.
        let quadratic = Spacing.timeQuadratic.times(steps: 2, end: 1e-3, schedule: schedule, rho: 7)
        #expect(abs(quadratic[1] - pow((1 + 0.001.squareRoot()) / 2, 2)) < 1e-12)
    }

    @Test func moreEvaluationsGiveSmallerErrorsForTheHighOrderSolvers() {
        for solver in [Solver.dpmSolverPlusPlus, .uniPC] {
            let errors = [6, 12, 24].map { problem.medianError(SamplerSchedule(nfe: $0, solver: solver)) }
            #expect(errors[0] > errors[1] && errors[1] > errors[2], "\(solver): \(errors)")
        }
    }
}
