import Foundation
import GymCore
import Testing
@testable import DiffusionSampler

@Suite struct DiffusionSamplerEnvironmentTests {
    func design(_ values: [String: ParameterValue]) throws -> Design {
        try DiffusionSamplerEnvironment.space.design(from: values, fillingDefaults: true)
    }

    @Test func theTableCellIsReproduced() throws {
        // DDIM, logSNR spacing, 2d, NFE = 10: l2 ≈ 0.3931, sw2 ≈ 0.3538 (the test bed's table).
        let environment = try DiffusionSamplerEnvironment(options: EnvironmentOptions())
        let evaluation = try environment.evaluate(try design(["solver": "ddim", "nfe": 10, "spacing": "logsnr"]))
        #expect(evaluation.status == .ok)
        #expect(abs(evaluation.metrics["l2"]! - 0.3931) < 0.00005)
        #expect(abs(evaluation.metrics["sw2"]! - 0.3538) < 0.00005)
        #expect(evaluation.metrics["nfe"] == 10)
    }

    @Test(arguments: [("2d", 0.1343, 1.99), ("8d", 0.0698, 1.47)])
    func slicedWassersteinOfTheReferenceSitsAtTheFiniteSampleFloor(_ workload: String, _ floor: Double, _ prior: Double) throws {
        let problem = SamplingProblem.shared(mixture: workload == "2d" ? .twoDimensional : .eightDimensional, samples: 4000,
                                             startSeed: workload == "2d" ? 1234 : 5678)
        let dimension = problem.denoiser.mixture.dimension
        let atReference = SlicedWasserstein.distance(try problem.reference(), problem.data, dimension: dimension, directions: problem.directions)
        let atStart = SlicedWasserstein.distance(problem.start, problem.data, dimension: dimension, directions: problem.directions)
        #expect(abs(atReference - floor) < 0.0005, "\(workload): \(atReference)")
        #expect(abs(atStart - prior) < 0.005, "\(workload): \(atStart)")
    }

    @Test func slicedWassersteinIsZeroForASetAndItsPermutation() {
        let directions = SlicedWasserstein.directions(dimension: 2)
        let a: [Double] = [0, 0, 1, 2, 3, -1]
        let b: [Double] = [3, -1, 0, 0, 1, 2]
        #expect(SlicedWasserstein.distance(a, b, dimension: 2, directions: directions) == 0)
        // Shifting every point by (1, 0) moves each projection by the direction's first coordinate u,
        // so sw2 = √(mean u²) over the unit directions.
        let shifted = a.enumerated().map { $0.offset % 2 == 0 ? $0.element + 1 : $0.element }
        let expected = (directions.reduce(0) { $0 + $1[0] * $1[0] } / Double(directions.count)).squareRoot()
        #expect(abs(SlicedWasserstein.distance(a, shifted, dimension: 2, directions: directions) - expected) < 1e-12)
    }

    @Test func aCustomMixtureIsReadFromJSON() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("designgym-mixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("mixture.json").path
        try #"{"weights": [1, 3], "means": [[-2, 0, 1], [2, 1, 0]], "standard_deviations": [[0.5, 0.5, 0.5], [0.3, 0.4, 0.5]]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let environment = try DiffusionSamplerEnvironment(
            options: EnvironmentOptions(workload: "custom", values: ["mixture": path, "samples": "64"]))
        let evaluation = try environment.evaluate(try design(["nfe": 20]))
        #expect(evaluation.status == .ok)
        #expect(evaluation.details["dimension"] == .number(3))
        #expect(evaluation.metrics["l2"]! < 0.05)

        try #"{"weights": [1], "means": [[0, 0]], "standard_deviations": [[-1, 1]]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: EnvironmentError.self) {
            try DiffusionSamplerEnvironment(options: EnvironmentOptions(workload: "custom", values: ["mixture": path]))
        }
        #expect(throws: EnvironmentError.self) { try DiffusionSamplerEnvironment(options: EnvironmentOptions(workload: "custom")) }
        #expect(throws: EnvironmentError.self) {
            try DiffusionSamplerEnvironment(options: EnvironmentOptions(values: ["samples": "3"]))
        }
    }

    @Test func theWeightsOfTheStandardMixturesSumToOne() {
        // 2d: Σ (k+1)/36 for k < 8 = 36/36; 8d: Σ (k+1)/15 for k < 5 = 15/15.
        #expect(abs(GaussianMixture.twoDimensional.weights.reduce(0, +) - 1) < 1e-15)
        #expect(abs(GaussianMixture.eightDimensional.weights.reduce(0, +) - 1) < 1e-15)
        #expect(GaussianMixture.eightDimensional.dimension == 8)
    }

    @Test func theScoreMatchesAFiniteDifferenceOfTheLogDensity() {
        // ∇ log p_t by central differences of log Σ_k π_k N(x; α μ_k, v_k), at t = 0.3.
        let mixture = GaussianMixture.twoDimensional
        let schedule = VPSchedule()
        let t = 0.3
        func logDensity(_ x: [Double]) -> Double {
            let alpha = schedule.alpha(t), sigma = schedule.sigma(t)
            var total = 0.0
            for k in 0..<mixture.components {
                var log = Foundation.log(mixture.weights[k])
                for d in 0..<2 {
                    let variance = alpha * alpha * pow(mixture.standardDeviations[k][d], 2) + sigma * sigma
                    log -= 0.5 * (pow(x[d] - alpha * mixture.means[k][d], 2) / variance + Foundation.log(2 * Double.pi * variance))
                }
                total += exp(log)
            }
            return Foundation.log(total)
        }
        let x = [0.7, -1.3]
        let score = MixtureDenoiser(mixture: mixture).score(x, at: t)
        let step = 1e-5
        for d in 0..<2 {
            var plus = x, minus = x
            plus[d] += step
            minus[d] -= step
            #expect(abs((logDensity(plus) - logDensity(minus)) / (2 * step) - score[d]) < 1e-6)
        }
    }
}

@Suite struct RadixSortTests {
    @Test func radixSortAgreesWithTheStandardSort() {
        var generator = SeededGenerator(seed: 8)
        for count in [0, 1, 2, 17, 1000] {
            var values = (0..<count).map { _ in (generator.nextUnit() - 0.5) * pow(10, Double(generator.nextInt(in: -8...8))) }
            values += count > 2 ? [0, -0.0, 1e300, -1e300, 5e-324] : []
            var sorted = values
            SlicedWasserstein.radixSort(&sorted)
            #expect(sorted == values.sorted())
        }
    }
}
