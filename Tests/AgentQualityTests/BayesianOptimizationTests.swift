import Foundation
import GymCore
import LinearAlgebra
import Testing
@testable import BayesianOptimization

@Suite struct GaussianProcessTests {
    let inputs: [[Double]] = [[0.1, 0.9], [0.4, 0.2], [0.8, 0.5], [0.3, 0.3], [0.95, 0.05]]
    let targets: [Double] = [0.5, -1.2, 0.8, -0.4, 0.3]

    @Test func theLikelihoodGradientMatchesFiniteDifferences() throws {
        let h = GPHyperparameters(logSignal: log(1.3), logLengths: [log(0.4), log(0.7)], logNoise: log(0.05))
        let (_, gradient) = try #require(GaussianProcess.logLikelihood(inputs: inputs, targets: targets, hyperparameters: h))
        let step = 1e-6
        for k in h.vector.indices {
            var plus = h.vector, minus = h.vector
            plus[k] += step
            minus[k] -= step
            let up = GaussianProcess.logLikelihood(inputs: inputs, targets: targets, hyperparameters: GPHyperparameters(vector: plus))!.value
            let down = GaussianProcess.logLikelihood(inputs: inputs, targets: targets, hyperparameters: GPHyperparameters(vector: minus))!.value
            #expect(abs((up - down) / (2 * step) - gradient[k]) < 1e-5, "coordinate \(k)")
        }
    }

    @Test func theMaternKernelByHand() {
        // r = |0.3 − 0|/0.5 = 0.6; √5·r = 1.341641; k = 2·(1 + 1.341641 + 1.341641²/3)·e^(−1.341641)
        //   = 2·(1 + 1.341641 + 0.6)·0.261416 = 1.537986.
        let k = GaussianProcess.kernel([0.3], [0], inverseLengths: [2], signal: 2)
        #expect(abs(k - 1.537986) < 1e-6)
        #expect(GaussianProcess.kernel([0.3], [0.3], inverseLengths: [2], signal: 2) == 2)
    }

    @Test func thePosteriorInterpolatesNearlyNoiselessData() throws {
        let h = GPHyperparameters(logSignal: 0, logLengths: [log(0.3), log(0.3)], logNoise: log(1e-6))
        let process = try GaussianProcess(inputs: inputs, targets: targets, hyperparameters: h)
        let (mean, deviation) = process.predict(inputs)
        for (value, target) in zip(mean, targets) { #expect(abs(value - target) < 1e-3) }
        #expect(deviation.allSatisfy { $0 < 0.01 })
        // Far from the data the mean returns to 0 and the deviation to σ_f = 1.
        let far = process.predict([[10, 10]])
        #expect(abs(far.mean[0]) < 1e-6 && abs(far.deviation[0] - 1) < 1e-6)
    }

    @Test func fittingRaisesTheLikelihood() {
        let start = GPHyperparameters(logSignal: log(5), logLengths: [log(5), log(5)], logNoise: log(0.5))
        let fitted = GaussianProcess.fit(inputs: inputs, targets: targets, starts: [start], iterations: 60)
        let before = GaussianProcess.logLikelihood(inputs: inputs, targets: targets, hyperparameters: start)!.value
        let after = GaussianProcess.logLikelihood(inputs: inputs, targets: targets, hyperparameters: fitted)!.value
        #expect(after > before)
    }

    @Test func acquisitionsByHand() {
        // μ = f* + ξ: z = 0, EI = σ·φ(0) = 0.5·0.398942 = 0.199471; PI = Φ(0) = 0.5; UCB = μ + 1.96σ.
        #expect(abs(Acquisition.expectedImprovement.value(mean: 1.01, deviation: 0.5, best: 1, xi: 0.01, kappa: 1.96) - 0.199471) < 1e-6)
        #expect(abs(Acquisition.probabilityOfImprovement.value(mean: 1.01, deviation: 0.5, best: 1, xi: 0.01, kappa: 1.96) - 0.5) < 1e-12)
        #expect(Acquisition.upperConfidenceBound.value(mean: 1, deviation: 0.5, best: 0, xi: 0, kappa: 1.96) == 1.98)
    }
}

@Suite struct BayesianOptimizationQualityTests {
    @Test func findsTheBraninOptimumRegionWithinSixtyEvaluationsInMostSeeds() throws {
        // The optimum is 5/(4π) ≈ 0.3979; "the region" here: a value below 0.45.
        var found = 0
        for seed in 1...10 {
            let best = try search("bayesian", on: "Branin-v0", seed: UInt64(seed), budget: 60, batch: 1).compactMap(\.reward).max()!
            if -best < 0.45 { found += 1 }
        }
        #expect(found >= 7, "found in \(found) of 10 seeds")
    }

    @Test func beatsRandomSearchAtTheSameBudget() throws {
        for environment in ["Ackley-v0", "Knapsack-v0"] {
            let bo = median(try (1...10).map { seed in
                try search("bayesian", on: environment, seed: UInt64(seed), budget: 60, batch: 4).compactMap(\.reward).max() ?? -.infinity
            })
            let random = median(try (1...10).map { seed in
                try search("random", on: environment, seed: UInt64(seed), budget: 60, batch: 4).compactMap(\.reward).max() ?? -.infinity
            })
            #expect(bo > random, "\(environment): BO \(bo) vs random \(random)")
        }
    }
}
