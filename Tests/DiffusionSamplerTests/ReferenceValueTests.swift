import Foundation
import Testing
@testable import DiffusionSampler

@Suite struct ReferenceValueTests {
    @Test func randomNumberTestVectors() {
        // The test bed's vectors: uniforms(seed 1234)[0..3] and normals(1234, 2×2).
        let uniforms = ReproducibleRandom.uniforms(seed: 1234, count: 4)
        #expect(uniforms == [0.7306665245406241, 0.5928898580149862, 0.2021328743101099, 0.30618679205037097])
        let normals = ReproducibleRandom.normals(seed: 1234, rows: 2, columns: 2)
        let expected = [-0.6610673135133481, -0.43656183433747636, -0.6182602634283296, 1.6779196211682403]
        for (value, reference) in zip(normals, expected) { #expect(abs(value - reference) < 1e-15) }
    }

    @Test func scheduleEndpointsAndInverse() {
        let schedule = VPSchedule()
        #expect(abs(schedule.lambda(1) - -5.024978406659204) < 1e-12)
        #expect(abs(schedule.lambda(1e-3) - 4.557714932729898) < 1e-12)
        for t in [1e-3, 0.01, 0.2, 0.5, 0.9, 1] {
            #expect(abs(schedule.time(lambda: schedule.lambda(t)) - t) < 1e-12 * max(1, t))
            let alpha = schedule.alpha(t), sigma = schedule.sigma(t)
            #expect(abs(alpha * alpha + sigma * sigma - 1) < 1e-14)  // variance preserving
        }
    }

    @Test func dataPredictionCheckValue() {
        // x̂0 at t = 0.5 of the first row of normals(1234, 4000×2) under "2d".
        let x = Array(ReproducibleRandom.normals(seed: 1234, rows: 4000, columns: 2)[0..<2])
        let x0 = MixtureDenoiser(mixture: .twoDimensional).dataPrediction(x, at: 0.5)
        #expect(abs(x0[0] - -1.5009075650081605) < 1e-12)
        #expect(abs(x0[1] - -1.6400816718246056) < 1e-12)
    }

    @Test func referenceSolutionCheckValue() throws {
        let x = Array(ReproducibleRandom.normals(seed: 1234, rows: 4000, columns: 2)[0..<2])
        let reference = try ReferenceSolution.solve(x, denoiser: MixtureDenoiser(mixture: .twoDimensional))
        #expect(abs(reference[0] - -2.787679078665263) < 1e-9)
        #expect(abs(reference[1] - -2.806319585899059) < 1e-9)
    }
}
