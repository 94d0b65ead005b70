import Foundation
import GymCore
import Testing
@testable import AntColony
@testable import GeneticAlgorithm

let operatorSpace = ParameterSpace([
    .categorical("kind", ["a", "b", "c"]), .integer("count", 0...10, step: 2), .ordinal("width", [1, 2, 4, 8]),
    .real("gain", 0...1), .real("scale", 0.01...100, logScale: true, default: 1),
])

@Suite struct GeneticOperatorTests {
    @Test func mutationRespectsEachParameterKind() throws {
        let variation = Variation(space: operatorSpace, crossover: "uniform", crossoverProbability: 1, mutationProbability: 1, realSigma: 0.1)
        var generator = SeededGenerator(seed: 1)
        let parent = try operatorSpace.validate(Design(["kind": "b", "count": 10, "width": 1, "gain": .double(0.5), "scale": .double(1)]))
        for _ in 0..<500 {
            let child = try operatorSpace.validate(variation.mutate(parent, using: &generator))
            #expect(child["kind"] != "b")  // categorical: another choice
            #expect(child["count"] == 8)  // at the upper bound, one step inwards
            #expect(child["width"] == 2)  // at the lower bound, one step inwards
            #expect((0...1).contains(child["gain"]!.number!))
            #expect((0.01...100).contains(child["scale"]!.number!))
        }
        let still = Variation(space: operatorSpace, crossover: "uniform", crossoverProbability: 1, mutationProbability: 0, realSigma: 0.1)
        #expect(still.mutate(parent, using: &generator) == parent)
    }

    @Test func onePointCrossoverSwapsATailAndUniformCrossoverMixesGenes() throws {
        var generator = SeededGenerator(seed: 2)
        let a = Design(["kind": "a", "count": 0, "width": 1, "gain": .double(0), "scale": .double(0.01)])
        let b = Design(["kind": "c", "count": 10, "width": 8, "gain": .double(1), "scale": .double(100)])
        let names = operatorSpace.names
        let onePoint = Variation(space: operatorSpace, crossover: "one-point", crossoverProbability: 1, mutationProbability: 0, realSigma: 0.1)
        for _ in 0..<100 {
            let (first, second) = onePoint.cross(a, b, using: &generator)
            let fromB = names.map { first[$0] == b[$0] }
            // A prefix from a, then a non-empty tail from b; the second child is the mirror image.
            let cut = fromB.firstIndex(of: true)!
            #expect(cut >= 1 && fromB[cut...].allSatisfy { $0 })
            #expect(names.allSatisfy { (first[$0] == a[$0]) == (second[$0] == b[$0]) })
        }
        let uniform = Variation(space: operatorSpace, crossover: "uniform", crossoverProbability: 1, mutationProbability: 0, realSigma: 0.1)
        var mixedPatterns = Set<[Bool]>()
        for _ in 0..<200 {
            let (first, _) = uniform.cross(a, b, using: &generator)
            mixedPatterns.insert(names.map { first[$0] == b[$0] })
        }
        #expect(mixedPatterns.count > 16)  // 2⁵ = 32 patterns possible; one-point allows only 4
    }

    @Test func nonDominatedSortingAndCrowdingByHand() {
        // Maximised points: A(4,1) B(3,3) C(1,4) are mutually non-dominated; D(2,2) is dominated only by B;
        // E(1,1) is dominated by B and D, so it is in the third front; F failed and comes last.
        let points: [[Double]?] = [[4, 1], [3, 3], [1, 4], [2, 2], [1, 1], nil]
        let individuals = points.enumerated().map { Individual(design: Design(["i": .int($0.offset)]), rewards: $0.element) }
        #expect(NonDominatedSorting.fronts(individuals) == [[0, 1, 2], [3], [4], [5]])
        // Crowding of the first front: A and C are extremes (∞); B's neighbours on objective 1 are C(1) and
        // A(4) over range 3 → 3/3 = 1, and on objective 2 A(1) and C(4) → 3/3 = 1; total 2.
        let crowding = NonDominatedSorting.crowding([0, 1, 2], in: individuals)
        #expect(crowding[0] == .infinity && crowding[2] == .infinity)
        #expect(crowding[1] == 2)
    }

    @Test func archGymsGridsHaveTheirPublishedSizes() throws {
        let registry = Catalog.registry
        // GA: 6 populations × 4 generation counts × 3 mutation probabilities = 72 (ArchGym's sweep).
        #expect(try registry.agent("genetic").settings(ofGrid: "archgym")?.count == 72)
        // ACO without the network-depth knob: 6 × 5 × 5 = 150.
        #expect(try registry.agent("ant-colony").settings(ofGrid: "archgym")?.count == 150)
        for id in ["genetic", "ant-colony"] {
            let entry = try registry.agent(id)
            for setting in entry.settings(ofGrid: "archgym")! {
                #expect(throws: Never.self) { try entry.hyperparameters.design(from: setting, fillingDefaults: true) }
            }
        }
    }

    @Test func aRestartKeepsTheBestAndDrawsTheRestAfresh() throws {
        let space = ParameterSpace([.integer("x", 0...1000)])
        let configuration = AgentConfiguration(
            space: space, objective: .metric("y", .maximize), seed: 4,
            hyperparameters: try GeneticAlgorithm.hyperparameters.design(from: ["population": 4, "generations": 2], fillingDefaults: true))
        let agent = GeneticAlgorithm(configuration)
        var number = 0
        var all: [Design] = []
        for _ in 0..<4 {
            let designs = try agent.suggest(4)
            all += designs
            try agent.observe(designs.map { design in
                defer { number += 1 }
                let y = design["x"]!.number!
                return Trial(number: number, design: design, evaluation: Evaluation(metrics: ["y": y]), reward: y)
            })
        }
        // Every second generation restarts from random designs; designs are never suggested twice.
        let restart = try agent.suggest(3)
        #expect(Set(restart.map(\.hash)).isDisjoint(with: Set(all.map(\.hash))))
        #expect(restart.count == 3)
    }
}

@Suite struct AntColonyTests {
    func colony(_ values: [String: ParameterValue], seed: UInt64 = 3) throws -> AntColony {
        AntColony(AgentConfiguration(space: operatorSpace, objective: .metric("y", .maximize), seed: seed,
                                     hyperparameters: try AntColony.hyperparameters.design(from: values, fillingDefaults: true)))
    }

    @Test func pheromoneFollowsTheBestAnts() throws {
        // Reward 1 only for kind "c": after a few iterations a fully greedy colony always picks "c".
        let agent = try colony(["ant_count": 8, "greediness": 0.0, "evaporation": 0.5])
        var number = 0
        for _ in 0..<10 {
            let designs = try agent.suggest(8)
            try agent.observe(designs.map { design in
                defer { number += 1 }
                let reward = design["kind"] == "c" ? 1.0 : 0.0
                return Trial(number: number, design: design, evaluation: Evaluation(metrics: ["y": reward]), reward: reward)
            })
        }
        let state = try JSONDecoder().decode([String: JSONValue].self, from: try agent.checkpoint())
        guard case .array(let pheromone) = state["pheromone"], case .array(let kinds) = pheromone[0] else {
            Issue.record("no pheromone in the checkpoint")
            return
        }
        let amounts = kinds.compactMap { value -> Double? in if case .number(let n) = value { return n } else { return nil } }
        #expect(amounts[2] > amounts[0] && amounts[2] > amounts[1])
        #expect(amounts.allSatisfy { $0 >= AntColony.minimumPheromone && $0 <= AntColony.maximumPheromone })
        try agent.restore(try agent.checkpoint())
        let greedy = try colony(["greediness": 1.0])
        try greedy.restore(try agent.checkpoint())
        #expect(try greedy.suggest(20).allSatisfy { $0["kind"] == "c" })
    }

    @Test func realParametersAreDrawnWithinTheirChosenSlice() throws {
        let agent = try colony(["bins": 4])
        for design in try agent.suggest(200) {
            #expect((0...1).contains(design["gain"]!.number!))
            #expect(operatorSpace.contains(design))
        }
    }
}

import GymCatalog
