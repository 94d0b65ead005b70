import Foundation
import GymCore
import LinearAlgebra
import Testing
@testable import ReinforcementLearning

@Suite struct PPOTests {
    @Test func backpropagationMatchesFiniteDifferences() {
        // Loss L = Σ_columns (c·logits + v·value) for fixed random c, v: its gradient w.r.t. the logits is c,
        // w.r.t. the values v; compare the backward pass with central differences on every parameter.
        var generator = SeededGenerator(seed: 5)
        var network = PolicyNetwork(inputs: 3, hidden: [4, 4], headWidths: [2, 3], generator: &generator)
        var input = Matrix(rows: 3, columns: 2)
        for i in input.storage.indices { input.storage[i] = generator.nextGaussian() }
        var c = Matrix(rows: 5, columns: 2)
        for i in c.storage.indices { c.storage[i] = generator.nextGaussian() }
        let v = [generator.nextGaussian(), generator.nextGaussian()]
        func loss(_ net: PolicyNetwork) -> Double {
            let pass = net.forward(input)
            return zip(pass.logits.storage, c.storage).reduce(0) { $0 + $1.0 * $1.1 } + zip(pass.values, v).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let gradients = network.backward(network.forward(input), logitGradient: c, valueGradient: v)
        let step = 1e-6
        for layer in network.weights.indices {
            for i in network.weights[layer].indices {
                let original = network.weights[layer][i]
                network.weights[layer][i] = original + step
                let up = loss(network)
                network.weights[layer][i] = original - step
                let down = loss(network)
                network.weights[layer][i] = original
                #expect(abs((up - down) / (2 * step) - gradients.weights[layer][i]) < 1e-6, "weight \(layer).\(i)")
            }
            for i in network.biases[layer].indices {
                let original = network.biases[layer][i]
                network.biases[layer][i] = original + step
                let up = loss(network)
                network.biases[layer][i] = original - step
                let down = loss(network)
                network.biases[layer][i] = original
                #expect(abs((up - down) / (2 * step) - gradients.biases[layer][i]) < 1e-6, "bias \(layer).\(i)")
            }
        }
    }

    @Test func thePolicyLearnsABandit() throws {
        // Reward 1 when kind is "c", else 0: after 400 designs the policy picks "c" far above chance (1/3).
        let space = ParameterSpace([.categorical("kind", ["a", "b", "c"]), .integer("n", 0...3)])
        let agent = ProximalPolicyOptimization(AgentConfiguration(
            space: space, objective: .metric("y", .maximize), seed: 2,
            hyperparameters: ProximalPolicyOptimization.hyperparameters.defaultDesign))
        var number = 0
        for _ in 0..<50 {
            let designs = try agent.suggest(8)
            try agent.observe(designs.map { design in
                defer { number += 1 }
                let y = design["kind"] == "c" ? 1.0 : 0.0
                return Trial(number: number, design: design, evaluation: Evaluation(metrics: ["y": y]), reward: y)
            })
        }
        let late = try agent.suggest(100)
        #expect(late.filter { $0["kind"] == "c" }.count > 70)
    }

    @Test func multiStepEpisodesLearnWithGeneralisedAdvantages() throws {
        // Episodes of 2 designs; reward 1 for "c" at either step. GAE spreads credit within an episode.
        let space = ParameterSpace([.categorical("kind", ["a", "b", "c"])])
        let make = {
            ProximalPolicyOptimization(AgentConfiguration(
                space: space, objective: .metric("y", .maximize), seed: 9,
                hyperparameters: try ProximalPolicyOptimization.hyperparameters.design(
                    from: ["episode_length": 2, "rollout_size": 16], fillingDefaults: true)))
        }
        let agent = try make(), twin = try make()
        var number = 0
        for _ in 0..<40 {
            let designs = try agent.suggest(4)
            #expect(try twin.suggest(4) == designs)  // deterministic for a seed and history
            let trials = designs.map { design in
                defer { number += 1 }
                let y = design["kind"] == "c" ? 1.0 : 0.0
                return Trial(number: number, design: design, evaluation: Evaluation(metrics: ["y": y]), reward: y)
            }
            try agent.observe(trials)
            try twin.observe(trials)
        }
        #expect(try agent.suggest(100).filter { $0["kind"] == "c" }.count > 60)
    }

    @Test func archGymsSettingsAreAValidPreset() throws {
        let entry = try Catalog.registry.agent("ppo")
        let settings = try #require(entry.settings(ofGrid: "archgym"))
        #expect(settings.count == 1)
        let design = try entry.hyperparameters.design(from: settings[0], fillingDefaults: true)
        #expect(design["hidden_width"] == 32 && design["hidden_layers"] == 3 && design["learning_rate"] == .double(2e-5))
    }
}

import GymCatalog
