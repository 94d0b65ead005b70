import GymCore
import Testing
@testable import RandomSearch

@Suite struct RandomSearchTests {
    let space = ParameterSpace([
        .categorical("kind", ["a", "b", "c", "d"]), .integer("n", 0...9),
    ], constraints: [Constraint(name: "not-d", message: "kind must not be d") { $0["kind"] != "d" }])

    func configuration(_ hyperparameters: [String: ParameterValue] = [:], seed: UInt64 = 1) throws -> AgentConfiguration {
        AgentConfiguration(space: space, objective: .metric("y", .maximize), seed: seed,
                           hyperparameters: try RandomSearch.hyperparameters.design(from: hyperparameters, fillingDefaults: true))
    }

    @Test func suggestionsAreUniformOverTheSpace() throws {
        let agent = RandomSearch(try configuration())
        let designs = try agent.suggest(40_000)
        // 40 designs, 1,000 expected each; 5 standard deviations ≈ 5·√(1000·(39/40)) ≈ 156.
        var counts: [Design: Int] = [:]
        for design in designs { counts[design, default: 0] += 1 }
        #expect(counts.count == 40)
        for count in counts.values { #expect(abs(count - 1000) < 156) }
    }

    @Test func feasibleOnlyDrawsAvoidBrokenConstraints() throws {
        let agent = RandomSearch(try configuration(["feasible_only": "true"]))
        #expect(try agent.suggest(500).allSatisfy { $0["kind"] != "d" })
        let unrestricted = RandomSearch(try configuration())
        #expect(try unrestricted.suggest(500).contains { $0["kind"] == "d" })
    }

    @Test func walkerMovesOneParameterToANeighbourEachStep() throws {
        let walker = RandomWalker(AgentConfiguration(
            space: space, objective: .metric("y", .maximize), seed: 3,
            hyperparameters: try RandomWalker.hyperparameters.design(from: ["start": "default"], fillingDefaults: true)))
        let path = try walker.suggest(300)
        #expect(path[0] == space.defaultDesign)
        for (previous, next) in zip(path, path.dropFirst()) {
            #expect(space.neighbours(of: previous).contains(next))
        }
    }

    @Test func walkerRestartsWhenAsked() throws {
        let walker = RandomWalker(AgentConfiguration(
            space: space, objective: .metric("y", .maximize), seed: 3,
            hyperparameters: try RandomWalker.hyperparameters.design(from: ["restart_probability": 1.0], fillingDefaults: true)))
        let path = try walker.suggest(400)
        // With restarts every step, consecutive designs are independent draws: many are not neighbours.
        let jumps = zip(path, path.dropFirst()).filter { !space.neighbours(of: $0.0).contains($0.1) }.count
        #expect(jumps > 200)
    }
}
