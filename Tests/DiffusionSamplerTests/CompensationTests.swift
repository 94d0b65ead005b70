import Foundation
import GymCore
import Testing
@testable import DiffusionSampler

/// DC-Solver's dynamic compensation on the exact test bed.
@Suite struct CompensationTests {
    @Test func theCompensatedOutputIsTheLagrangeInterpolationInTime() throws {
        // Outputs that are a quadratic in t, m(t) = 2 − 3t + 5t², are interpolated exactly by three points:
        // before step 3 of 6 with ρ = 0.8 (slope 0), t' = 0.8·t₂ + 0.2·t₁ = 0.8·0.5 + 0.2·0.7 = 0.54, and
        // m(0.54) = 2 − 1.62 + 1.458 = 1.838.
        let times = [0.9, 0.7, 0.5, 0.3]
        let models = times.prefix(3).map { t in [2 - 3 * t + 5 * t * t, t] }
        let compensated = try #require(Compensation(ratio: 0.8, slope: 0).output(step: 3, of: 6, models: models, times: times))
        #expect(abs(compensated[0] - 1.838) < 1e-12 && abs(compensated[1] - 0.54) < 1e-12)
        // Before three outputs exist, and at ρ = 1, nothing changes.
        #expect(Compensation(ratio: 0.8, slope: 0).output(step: 2, of: 6, models: Array(models.prefix(2)), times: times) == nil)
        #expect(Compensation.none.output(step: 3, of: 6, models: models, times: times) == nil)
        // The ratio is a line in the step's position: 0.8 at step 3, 0.8 + 0.3·(5 − 3)/(7 − 3) = 0.95 at step 5.
        #expect(abs(Compensation(ratio: 0.8, slope: 0.3).ratio(step: 5, of: 7) - 0.95) < 1e-12)
    }

    @Test func aRatioOfOneIsTheUncompensatedSolver() throws {
        let environment = try DiffusionSamplerEnvironment(options: EnvironmentOptions(values: ["samples": "500"]))
        for solver in ["unipc", "dpm-solver++"] {
            let design = try DiffusionSamplerEnvironment.space.design(from: ["solver": .string(solver), "nfe": .int(7), "dc_ratio": .double(1)],
                                                                      fillingDefaults: true)
            var plan = DiffusionSamplerEnvironment.schedule(of: design)
            #expect(plan.compensation == .none)
            plan.compensation = Compensation(ratio: 1, slope: 0)
            let sampler = ODESampler(denoiser: MixtureDenoiser(mixture: .twoDimensional))
            let start = ReproducibleRandom.normals(seed: 1234, rows: 500, columns: 2)
            #expect(sampler.sample(start, with: plan).samples == sampler.sample(start, with: SamplerSchedule(nfe: 7, solver: Solver(rawValue: solver)!)).samples)
        }
    }

    @Test(arguments: [5, 6, 8, 10])
    func aWellChosenRatioLowersTheErrorAtFewEvaluations(_ nfe: Int) throws {
        // UniPC-bh2 with its corrector on the 2d workload: the best ratio of a small grid beats no compensation
        // (measured: 0.572 → 0.420 at NFE 5, 0.484 → 0.400 at 6, 0.226 → 0.209 at 8, 0.1100 → 0.1094 at 10).
        let environment = try DiffusionSamplerEnvironment(options: EnvironmentOptions())
        func l2(_ ratio: Double) throws -> Double {
            let design = try DiffusionSamplerEnvironment.space.design(from: ["solver": "unipc", "nfe": .int(nfe), "dc_ratio": .double(ratio)],
                                                                      fillingDefaults: true)
            return try environment.evaluate(design).metrics["l2"]!
        }
        let uncompensated = try l2(1)
        let best = try [0.8, 0.85, 0.9, 0.95].map(l2).min()!
        #expect(best < uncompensated, "NFE \(nfe): \(best) against \(uncompensated)")
        // DPM-Solver++(3M), with no corrector, gains too up to 8 evaluations (0.78 → 0.38 at 5, 0.94 → 0.46 at 6,
        // 0.29 → 0.19 at 8 with ρ = 0.8); at 10 its best ratio is 1.
        guard nfe <= 8 else { return }
        let threeM = try DiffusionSamplerEnvironment.space.design(from: ["solver": "dpm-solver++", "order": 3, "nfe": .int(nfe)], fillingDefaults: true)
        var compensated = threeM
        compensated["dc_ratio"] = .double(0.8)
        #expect(try environment.evaluate(compensated).metrics["l2"]! < environment.evaluate(threeM).metrics["l2"]!)
    }
}
