import Foundation
import Testing
@testable import GymCore

@Suite struct ObjectiveTests {
    let metrics = [
        MetricSpec(name: "latency", unit: "ns", goal: .minimize), MetricSpec(name: "power", unit: "W", goal: .minimize),
        MetricSpec(name: "energy", unit: "pJ", goal: .minimize), MetricSpec(name: "bandwidth", unit: "GB/s", goal: .maximize),
    ]

    func reward(_ text: String, _ values: [String: Double]) throws -> Double? {
        try Objective.parse(text).resolved(against: metrics).reward(for: Evaluation(metrics: values))
    }

    @Test func singleMetricIsSignedByItsGoal() throws {
        #expect(try reward("latency:min", ["latency": 2]) == -2)
        #expect(try reward("bandwidth:max", ["bandwidth": 7]) == 7)
    }

    @Test func targetRewardIsTheProductOfTOverDistance() throws {
        // ArchGym DRAM: power 1.5 vs 1 → 1/0.5 = 2; latency 0.15 vs 0.1 → 0.1/0.05 = 2; product 4.
        let value = try reward("target:power=1,latency=0.1", ["power": 1.5, "latency": 0.15])!
        #expect(abs(value - 4) < 1e-9)
        // On target the factor is capped at 10⁹ rather than infinite.
        #expect(abs(try reward("target:power=1", ["power": 1])! - 1e9) < 1)
    }

    @Test func costCountsOnlyOvershoot() throws {
        // latency 0.15 vs 0.1 → 0.5 over; power 0.5 vs 1 → under, counts 0. Reward −0.5.
        let value = try reward("cost:latency=0.1,power=1", ["latency": 0.15, "power": 0.5])!
        #expect(abs(value + 0.5) < 1e-12)
    }

    @Test func inverseAndProductAndSum() throws {
        #expect(try reward("inverse:latency*energy", ["latency": 2, "energy": 4]) == 0.125)  // 1/(2·4)
        #expect(try reward("product:latency=-1,energy=-1", ["latency": 2, "energy": 4]) == 0.125)  // 2⁻¹·4⁻¹
        #expect(try reward("sum:latency=-1,power=-0.5", ["latency": 2, "power": 4]) == -4)  // −2 − 2
        #expect(try reward("inverse:latency", ["latency": 0]) == nil)  // undefined, not infinite
    }

    @Test func cityBlockMeasuresDistanceOutsideBudgets() throws {
        // latency 0.2 over a 0.1 budget → 1; bandwidth 5 under a 10 floor → 0.5. Reward −1.5.
        let value = try reward("cityblock:latency<=0.1,bandwidth>=10", ["latency": 0.2, "bandwidth": 5])!
        #expect(abs(value + 1.5) < 1e-12)
        #expect(try reward("cityblock:latency<=0.1,bandwidth>=10", ["latency": 0.05, "bandwidth": 20]) == 0)
    }

    @Test func paretoRewardsAreSignedPerGoal() throws {
        let objective = try Objective.parse("pareto:latency:min,bandwidth:max").resolved(against: metrics)
        #expect(objective.dimension == 2)
        #expect(objective.rewards(for: Evaluation(metrics: ["latency": 0.2, "bandwidth": 5])) == [-0.2, 5])
        #expect(objective.reward(for: Evaluation(metrics: ["latency": 0.2, "bandwidth": 5])) == -0.2)
    }

    @Test func failuresFollowTheExplicitPolicy() throws {
        let failed = Evaluation.unsuccessful(.failed, message: "simulator crashed")
        var objective = try Objective.parse("latency:min").resolved(against: metrics)
        #expect(objective.reward(for: failed) == nil)
        objective.onFailure = .reward(-10)
        #expect(objective.reward(for: failed) == -10)
        #expect(objective.reward(for: .unsuccessful(.infeasible, message: "too big")) == -10)
        #expect(Objective.isBetter(-1e300, than: nil))
        #expect(!Objective.isBetter(nil, than: -1e300))
    }

    @Test func unknownMetricsAndMalformedTextAreReported() throws {
        #expect(throws: ObjectiveError.unknownMetric("speed", known: ["latency", "power", "energy", "bandwidth"])) {
            try Objective.parse("speed:max").resolved(against: metrics)
        }
        for text in ["latency", "fastest:latency", "target:power", "cost:power=abc", "cityblock:power=1", "pareto:latency:up",
                     "target:power=0"] {
            #expect(throws: ObjectiveError.self, "\(text)") { try Objective.parse(text).resolved(against: metrics) }
        }
    }

    @Test func compactFormAndJSONRoundTrip() throws {
        for text in ["latency:min", "target:power=1,latency=0.1", "cost:latency=0.1", "inverse:latency*energy",
                     "sum:latency=-1,power=-0.5", "product:latency=-1", "cityblock:latency<=0.1,bandwidth>=10",
                     "pareto:latency:min,bandwidth:max"] {
            let objective = try Objective.parse(text)
            #expect(objective.description == text)
            let json = String(decoding: try JSONEncoder().encode(objective), as: UTF8.self)
            #expect(try Objective.parse(json) == objective)
        }
        let withPolicy = try Objective.parse(#"{"kind": "metric", "terms": [{"metric": "power", "goal": "minimize"}], "failure_reward": -5}"#)
        #expect(withPolicy.onFailure == .reward(-5))
    }

    @Test func limitsTurnOutOfBoundsEvaluationsIntoFailures() throws {
        var objective = try Objective.parse("latency:min;power<=2;bandwidth>=10").resolved(against: metrics)
        #expect(objective.description == "latency:min;power<=2;bandwidth>=10")
        #expect(objective.reward(for: Evaluation(metrics: ["latency": 3, "power": 2, "bandwidth": 10])) == -3)  // on the bounds
        #expect(objective.reward(for: Evaluation(metrics: ["latency": 3, "power": 2.5, "bandwidth": 10])) == nil)
        #expect(objective.reward(for: Evaluation(metrics: ["latency": 3, "power": 1, "bandwidth": 9])) == nil)
        objective.onFailure = .reward(-100)
        #expect(objective.reward(for: Evaluation(metrics: ["latency": 3, "power": 9, "bandwidth": 10])) == -100)
        let json = String(decoding: try JSONEncoder().encode(objective), as: UTF8.self)
        #expect(try Objective.parse(json) == objective)
        #expect(throws: ObjectiveError.self) { try Objective.parse("latency:min;speed<=3").resolved(against: metrics) }
        #expect(throws: ObjectiveError.self) { try Objective.parse("latency:min;power=3") }
    }

    @Test func resolvingFillsGoalsFromTheMetricSpecs() throws {
        let objective = try Objective(kind: .pareto, terms: [.init(metric: "latency"), .init(metric: "bandwidth")])
            .resolved(against: metrics)
        #expect(objective.terms.map(\.goal) == [.minimize, .maximize])
    }
}

@Suite struct ParetoTests {
    @Test func nonDominatedSetKeepsOnlyUnbeatenPoints() {
        let points: [[Double]] = [[1, 5], [2, 4], [2, 2], [3, 1], [0, 0], [3, 1]]
        // [2,2] is dominated by [2,4]; [0,0] by everything; the duplicate [3,1]s do not dominate each other.
        #expect(Pareto.nonDominatedIndices(points) == [0, 1, 3, 5])
        #expect(Pareto.dominates([2, 4], [2, 2]))
        #expect(!Pareto.dominates([2, 2], [2, 2]))
    }

    @Test func hypervolumeIn2DIsTheUnionOfRectangles() {
        // Reference (0,0): rectangles 1×5, 2×4, 3×1; union = 3·1 + 2·(4−1) + 1·(5−4) = 3 + 6 + 1 = 10.
        #expect(Pareto.hypervolume([[1, 5], [2, 4], [3, 1], [1, 1]], reference: [0, 0]) == 10)
        // Points not beyond the reference add nothing.
        #expect(Pareto.hypervolume([[-1, 5]], reference: [0, 0]) == 0)
    }

    @Test func hypervolumeIn3DIsTheUnionOfBoxes() {
        // Boxes from the origin: [2,2,1] has volume 4, [1,1,3] volume 3, overlap 1·1·1 = 1; union 6.
        #expect(Pareto.hypervolume([[2, 2, 1], [1, 1, 3]], reference: [0, 0, 0]) == 6)
        // One unit cube shifted by the reference.
        #expect(Pareto.hypervolume([[1, 1, 1]], reference: [0, 0, 0.5]) == 0.5)
    }

    @Test func hypervolumeInOneAndFourDimensions() {
        // One objective: the best value's distance above the reference, 5 − 1 = 4.
        #expect(Pareto.hypervolume([[3], [5]], reference: [1]) == 4)
        // Boxes from the origin: [2,2,1,1] has volume 4, [1,1,3,2] volume 6, their overlap [1,1,1,1] volume 1; union 9.
        #expect(Pareto.hypervolume([[2, 2, 1, 1], [1, 1, 3, 2]], reference: [0, 0, 0, 0]) == 9)
        // A dominated point changes nothing.
        #expect(Pareto.hypervolume([[2, 2, 1, 1], [1, 1, 3, 2], [1, 1, 1, 1]], reference: [0, 0, 0, 0]) == 9)
    }
}

@Suite struct EpisodeTests {
    struct Square: Environment {
        let spec = EnvironmentSpec(
            id: "Square-v0", summary: "x² with failures at x = 3", space: ParameterSpace([.integer("x", 0...4)]),
            metrics: [MetricSpec(name: "y", unit: "1", goal: .minimize)], workloads: [WorkloadSpec(name: "default", summary: "")],
            workload: "default", defaultObjective: .metric("y", .minimize))
        func evaluate(_ design: Design) throws -> Evaluation {
            let x = try spec.space.validate(design)["x"]!.number!
            if x == 3 { return .unsuccessful(.failed, message: "x = 3 crashes the simulator") }
            return Evaluation(metrics: ["y": x * x])
        }
    }

    @Test func episodeTerminatesAtItsLength() throws {
        var episode = Episode(environment: Square(), objective: .metric("y", .minimize), length: 2)
        #expect(episode.reset(seed: 1) == [0])
        let first = try episode.step(Design(["x": 2]))
        #expect(first.observation == [4] && first.reward == -4 && !first.terminated && !first.truncated)
        let second = try episode.step(Design(["x": 1]))
        #expect(second.terminated && !second.truncated)
        #expect(throws: EpisodeError.needsReset) { try episode.step(Design(["x": 1])) }
    }

    @Test func aFailedEvaluationTruncatesRatherThanTerminates() throws {
        var episode = Episode(environment: Square(), objective: .metric("y", .minimize), length: 5)
        _ = episode.reset(seed: 1)
        let step = try episode.step(Design(["x": 3]))
        #expect(step.truncated && !step.terminated)
        #expect(step.reward == nil)
        #expect(step.evaluation.message == "x = 3 crashes the simulator")
    }

    @Test func measureTurnsInvalidDesignsIntoFailedEvaluations() {
        let evaluation = Square().measure(Design(["x": 9]))
        #expect(evaluation.status == .failed)
        #expect(evaluation.message?.contains("parameter 'x' cannot be 9") == true)
    }

    @Test func theParserBlamesTheTokenAtFault() {
        #expect(throws: ObjectiveError.malformed("value:minimize", reason: "'minimize' is not a goal; write value:min or value:max")) {
            try Objective.parse("value:minimize")
        }
        #expect { try Objective.parse("teapot:a=1") } throws: { "\($0)".contains("'teapot' is not a kind") }
    }
}

/// How an evaluation from another process is checked against the metrics an environment declares.
@Suite struct CheckedEvaluationTests {
    let declared = [MetricSpec(name: "latency", unit: "s", goal: .minimize), MetricSpec(name: "energy", unit: "J", goal: .minimize)]

    @Test func okWithEveryMetricStaysOk() {
        let evaluation = Evaluation(metrics: ["latency": 2, "energy": 3])
        #expect(evaluation.checked(against: declared, from: "the host") == evaluation)
    }

    @Test func okWithoutAMetricOrWithABadOneFails() {
        let missing = Evaluation(metrics: ["latency": 2]).checked(against: declared, from: "the host")
        #expect(missing.status == .failed)
        #expect(missing.message == "the host reported an ok evaluation, but it lacks metric 'energy'")
        let infinite = Evaluation(metrics: ["latency": .infinity, "energy": 1]).checked(against: declared, from: "the host")
        #expect(infinite.status == .failed && infinite.message?.contains("'latency' is inf") == true)
        let extra = Evaluation(metrics: ["latency": 1, "energy": 1, "area": 4]).checked(against: declared, from: "the host")
        #expect(extra.status == .failed && extra.message?.contains("'area'") == true)
    }

    @Test func unsuccessfulEvaluationsPassAsTheyAre() {
        let failed = Evaluation.unsuccessful(.infeasible, message: "too big")
        #expect(failed.checked(against: declared, from: "the host") == failed)
    }
}
