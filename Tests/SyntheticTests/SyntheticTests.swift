import Foundation
import GymCore
import Testing
@testable import SyntheticEnvironments

@Suite struct SyntheticTests {
    @Test func braninHasItsPublishedMinimumAtAllThreeMinimisers() {
        // Dixon & Szegő: f* = 0.397887 at (−π, 12.275), (π, 2.275), (9.42478, 2.475); exactly 5/(4π).
        for (x1, x2) in [(-Double.pi, 12.275), (Double.pi, 2.275), (9.42478, 2.475)] {
            #expect(abs(Branin.value(x1: x1, x2: x2) - 0.397887) < 1e-5)
        }
        #expect(abs(5 / (4 * Double.pi) - 0.3978873577) < 1e-10)
    }

    @Test func braninKnownOptimumIsOnTheGridAndNoSampleBeatsIt() throws {
        let environment = try Branin.make(EnvironmentOptions())
        let optimum = environment.knownOptimum
        let value = try environment.evaluate(optimum.design!).metrics["value"]!
        #expect(abs(value - optimum.metrics["value"]!) < 1e-9)  // x1 is π to 12 digits
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<20_000 {
            let sample = try environment.evaluate(environment.spec.space.sample(using: &generator)).metrics["value"]!
            #expect(sample >= value - 1e-9)
        }
    }

    @Test func braninVariantsTransformTheValue() throws {
        let environment = try Branin.make(EnvironmentOptions())
        var design = environment.knownOptimum.design!
        let f = 5 / (4 * Double.pi)
        design["variant"] = "shifted"
        #expect(abs(try environment.evaluate(design).metrics["value"]! - (f + 1)) < 1e-9)
        design["variant"] = "scaled"
        #expect(abs(try environment.evaluate(design).metrics["value"]! - (2 * f + 0.5)) < 1e-9)
    }

    @Test func ackleyIsZeroAtTheOriginAndPositiveElsewhere() throws {
        let environment = try Ackley.make(EnvironmentOptions())
        #expect(abs(try environment.evaluate(environment.knownOptimum.design!).metrics["value"]!) < 1e-12)
        // At x = (1, 0, 0, 0, 0): −20·exp(−0.2·√(1/5)) − exp((cos 2π + 4)/5) + 20 + e = −20·e^(−0.08944) + 20 ≈ 1.7112.
        var design = environment.knownOptimum.design!
        design["x1"] = 1
        let value = try environment.evaluate(design).metrics["value"]!
        #expect(abs(value - (20 - 20 * exp(-0.2 * (0.2).squareRoot()))) < 1e-9)
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<2000 {
            #expect(try environment.evaluate(environment.spec.space.sample(using: &generator)).metrics["value"]! > -1e-12)
        }
    }

    @Test func knapsackOptimumIsSixtyEightByExhaustiveSearch() throws {
        let environment = try Knapsack.make(EnvironmentOptions())
        var best = 0.0
        var feasible = 0
        for design in environment.spec.space.allDesigns() {
            let evaluation = environment.measure(design)
            if evaluation.status == .ok {
                feasible += 1
                best = max(best, evaluation.metrics["value"]!)
                #expect(evaluation.metrics["weight"]! <= 30)
            } else {
                #expect(evaluation.status == .infeasible)
                #expect(evaluation.message?.contains("30 kg") == true)
            }
        }
        #expect(best == environment.knownOptimum.metrics["value"])
        #expect(feasible > 0 && feasible < 65_536)
        // One optimum, checked by hand: 3×item4 (12 kg, 30) + 2×item5 (2 kg, 4) + 3×item6 (9 kg, 21) + 1×item8 (7 kg, 13)
        // = 30 kg, value 68.
        let design = Design(["item1": 0, "item2": 0, "item3": 0, "item4": 3, "item5": 2, "item6": 3, "item7": 0, "item8": 1])
        #expect(environment.measure(design).metrics == ["value": 68, "weight": 30])
    }

    @Test func zdt1FrontIsReachedAtGOneAndItsHypervolumeIsTwoThirds() throws {
        let environment = try ZDT1.make(EnvironmentOptions())
        var front = Design(["x1": .double(0.25), "x2": 0, "x3": 0, "x4": "a", "x5": .double(0.001), "x6": 1])
        front = try environment.spec.space.validate(front)
        #expect(abs(ZDT1.g(front) - 1) < 1e-12)
        // f2 = 1 − √0.25 = 0.5 on the front.
        #expect(abs(try environment.evaluate(front).metrics["f2"]! - 0.5) < 1e-12)
        // 2001 front points approach the exact hypervolume 2/3 from below.
        let objective = try environment.spec.defaultObjective.resolved(against: environment.spec.metrics)
        var points: [[Double]] = []
        for index in 0...2000 {
            var design = front
            design["x1"] = .double(Double(index) / 2000)
            points.append(objective.rewards(for: try environment.evaluate(design))!)
        }
        let volume = Pareto.hypervolume(points, reference: environment.knownOptimum.reference!)
        #expect(volume < 2.0 / 3.0 && volume > 2.0 / 3.0 - 1e-3)
    }

    @Test func noiseIsSeededByEnvironmentSeedAndDesign() throws {
        let design = Branin.space.defaultDesign
        let a = try Branin.make(EnvironmentOptions(seed: 1, values: ["noise": "0.5"])).evaluate(design).metrics["value"]!
        let b = try Branin.make(EnvironmentOptions(seed: 1, values: ["noise": "0.5"])).evaluate(design).metrics["value"]!
        let c = try Branin.make(EnvironmentOptions(seed: 2, values: ["noise": "0.5"])).evaluate(design).metrics["value"]!
        let clean = try Branin.make(EnvironmentOptions()).evaluate(design).metrics["value"]!
        #expect(a == b)
        #expect(a != c)
        #expect(a != clean)
    }

    @Test func badOptionValuesAreRejectedWithTheReason() throws {
        #expect(throws: EnvironmentError.invalidOption(key: "noise", value: "-1", reason: "expected a number ≥ 0")) {
            try Branin.make(EnvironmentOptions(values: ["noise": "-1"]))
        }
    }
}
