import Foundation
import GymCore
import LinearAlgebra

/// Proximal policy optimisation (Schulman et al. 2017) over the shared parameter space.
///
/// The policy is an MLP (tanh hidden layers) with one categorical head per parameter — each choice of a
/// categorical, each value of an integer or ordinal with at most 64 values, or one of `bins` equal slices
/// of a real's (log-)range or of a larger integer's, the value drawn uniformly in the slice — and a value
/// head. An episode is `episode_length` designs (1, ArchGym's setting, makes each design its own episode);
/// the observation is the previous design of the episode as a unit vector and the step's position in it.
/// Every `rollout_size` transitions of finished episodes, rewards are standardised (running mean and
/// deviation), advantages come from generalised advantage estimation (γ = `discount`, λ = `gae_lambda`),
/// and `epochs` passes of minibatches minimise the clipped surrogate plus the value loss minus an entropy
/// bonus, with Adam and a global gradient-norm clip of 0.5. Failed trials count as the worst reward seen;
/// with several goals the first one counts.
public final class ProximalPolicyOptimization: Agent {
    /// The registry id.
    public static let id = "ppo"

    /// The hyperparameters.
    public static let hyperparameters = ParameterSpace([
        .integer("hidden_width", 4...512, default: 64, summary: "units per hidden layer"),
        .integer("hidden_layers", 1...4, default: 2, summary: "hidden layers"),
        .real("learning_rate", 1e-6...1, logScale: true, default: 0.003, summary: "Adam step size"),
        .real("entropy_coefficient", 0...1, default: 0.01, summary: "weight of the entropy bonus"),
        .real("clip", 0.01...0.5, default: 0.2, summary: "PPO's clipping range ε of the probability ratio"),
        .real("value_coefficient", 0...2, default: 0.5, summary: "weight of the value loss"),
        .integer("rollout_size", 4...4096, default: 32, summary: "transitions per policy update"),
        .integer("epochs", 1...50, default: 8, summary: "passes over each rollout"),
        .integer("minibatch_size", 2...4096, default: 16, summary: "transitions per gradient step"),
        .integer("episode_length", 1...1000, default: 1, summary: "designs per episode"),
        .real("discount", 0...1, default: 0.99, summary: "γ of the returns"),
        .real("gae_lambda", 0...1, default: 0.95, summary: "λ of generalised advantage estimation"),
        .integer("bins", 2...100, default: 10, summary: "slices of a real parameter, or of an integer with more than 64 values"),
    ])

    /// ArchGym's PPO settings (DeepMind ACME): an MLP 32-32-32, learning rate 2·10⁻⁵, entropy cost 0.1, clip 0.2.
    public static let archGymGrid: [String: [ParameterValue]] = [
        "hidden_width": [32], "hidden_layers": [3], "learning_rate": [2e-5], "entropy_coefficient": [0.1], "clip": [0.2],
    ]

    static let largestChoiceHead = 64

    private struct Transition: Codable {
        var input: [Double]
        var actions: [Int]
        var logProbability: Double
        var value: Double
        var designHash: String
        var episode: Int
        var step: Int
        var reward: Double?
        var observed = false
    }

    private struct State: Codable {
        var generator: SeededGenerator
        var network: PolicyNetwork
        var adam: AdamState
        var transitions: [Transition] = []
        var episode = 0
        var step = 0
        var previous: [Double]?
        var rewardCount = 0.0
        var rewardMean = 0.0
        var rewardSquares = 0.0
        var worstReward: Double?
    }

    private let space: ParameterSpace
    private let settings: AgentConfiguration
    private let headWidths: [Int]
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        settings = configuration
        let bins = configuration.integer("bins")
        headWidths = configuration.space.parameters.map { parameter in
            guard let count = parameter.cardinality, count <= Self.largestChoiceHead || parameter.isCategorical else { return bins }
            return count
        }
        var generator = SeededGenerator(seed: configuration.seed)
        let network = PolicyNetwork(
            inputs: configuration.space.parameters.count + 1,
            hidden: Array(repeating: configuration.integer("hidden_width"), count: configuration.integer("hidden_layers")),
            headWidths: headWidths, generator: &generator)
        state = State(generator: generator, network: network, adam: AdamState(network))
    }

    /// Samples the next `count` designs from the policy.
    public func suggest(_ count: Int) throws -> [Design] {
        (0..<count).map { _ in
            let input = (state.previous ?? [Double](repeating: 0, count: space.parameters.count))
                + [Double(state.step) / Double(settings.integer("episode_length"))]
            let pass = state.network.forward(Matrix(column: input))
            let heads = state.network.probabilities(pass.logits, column: 0)
            var actions: [Int] = []
            var logProbability = 0.0
            var values: [String: ParameterValue] = [:]
            for (index, parameter) in space.parameters.enumerated() {
                let action = sample(heads[index])
                actions.append(action)
                logProbability += log(max(heads[index][action], 1e-300))
                if headWidths[index] == parameter.cardinality ?? -1 {
                    values[parameter.name] = parameter.value(at: action)
                } else {
                    let unit = (Double(action) + state.generator.nextUnit()) / Double(headWidths[index])
                    values[parameter.name] = parameter.value(atUnit: unit)
                }
            }
            let design = Design(values)
            state.transitions.append(Transition(input: input, actions: actions, logProbability: logProbability,
                                                value: pass.values[0], designHash: design.hash, episode: state.episode,
                                                step: state.step))
            state.step += 1
            if state.step >= settings.integer("episode_length") {
                state.step = 0
                state.episode += 1
                state.previous = nil
            } else {
                state.previous = space.unitVector(design)
            }
            return design
        }
    }

    /// Records rewards; updates the policy once enough finished episodes have been observed.
    public func observe(_ trials: [Trial]) throws {
        for trial in trials {
            let hash = trial.design.hash
            guard let index = state.transitions.firstIndex(where: { !$0.observed && $0.designHash == hash }) else { continue }
            state.transitions[index].observed = true
            state.transitions[index].reward = trial.rewards?.first
            if let reward = trial.rewards?.first {
                state.worstReward = min(state.worstReward ?? reward, reward)
                state.rewardCount += 1
                let delta = reward - state.rewardMean
                state.rewardMean += delta / state.rewardCount
                state.rewardSquares += delta * (reward - state.rewardMean)
            }
        }
        update()
    }

    /// The whole state: generator, network, optimiser, pending transitions, reward statistics.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the state.
    public func restore(_ checkpoint: Data) throws { state = try decodeState(State.self, from: checkpoint) }

    private func sample(_ probabilities: [Double]) -> Int {
        var target = state.generator.nextUnit()
        for (index, probability) in probabilities.enumerated() {
            target -= probability
            if target < 0 { return index }
        }
        return probabilities.count - 1
    }

    // MARK: - Learning

    private func update() {
        let length = settings.integer("episode_length")
        // Episodes whose transitions are all observed and complete.
        let finished = Set(Dictionary(grouping: state.transitions, by: \.episode)
            .filter { $0.value.count == length && $0.value.allSatisfy(\.observed) }.keys)
        let ready = state.transitions.filter { finished.contains($0.episode) }
        guard ready.count >= settings.integer("rollout_size") else { return }
        state.transitions.removeAll { finished.contains($0.episode) }

        let deviation = state.rewardCount > 1 ? (state.rewardSquares / (state.rewardCount - 1)).squareRoot() : 1
        let scale = deviation > 0 ? deviation : 1
        let worst = state.worstReward ?? 0
        func normalised(_ reward: Double?) -> Double { ((reward ?? worst) - state.rewardMean) / scale }

        // Generalised advantage estimation, episode by episode.
        let gamma = settings.real("discount"), lambda = settings.real("gae_lambda")
        var advantages = [Double](repeating: 0, count: ready.count)
        var returns = [Double](repeating: 0, count: ready.count)
        for (_, members) in Dictionary(grouping: ready.indices, by: { ready[$0].episode }).sorted(by: { $0.key < $1.key }) {
            let ordered = members.sorted { ready[$0].step < ready[$1].step }
            var running = 0.0
            for (position, index) in ordered.enumerated().reversed() {
                let nextValue = position + 1 < ordered.count ? ready[ordered[position + 1]].value : 0
                let delta = normalised(ready[index].reward) + gamma * nextValue - ready[index].value
                running = delta + gamma * lambda * running
                advantages[index] = running
                returns[index] = running + ready[index].value
            }
        }
        let mean = advantages.reduce(0, +) / Double(advantages.count)
        let spread = (advantages.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(advantages.count)).squareRoot()
        advantages = advantages.map { ($0 - mean) / max(spread, 1e-8) }

        let batchSize = min(settings.integer("minibatch_size"), ready.count)
        var order = Array(ready.indices)
        for _ in 0..<settings.integer("epochs") {
            state.generator.shuffle(&order)
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let batch = Array(order[start..<min(start + batchSize, order.count)])
                let gradients = lossGradients(batch.map { ready[$0] }, batch.map { advantages[$0] }, batch.map { returns[$0] })
                // Network and optimiser are both parts of `state`: update copies, then store them back.
                var network = state.network
                var adam = state.adam
                adam.apply(gradients, to: &network, rate: settings.real("learning_rate"))
                state.network = network
                state.adam = adam
            }
        }
    }

    private func lossGradients(_ batch: [Transition], _ advantages: [Double], _ returns: [Double])
        -> (weights: [[Double]], biases: [[Double]])
    {
        let size = Double(batch.count)
        var input = Matrix(rows: batch[0].input.count, columns: batch.count)
        for (column, transition) in batch.enumerated() {
            for row in transition.input.indices { input[row, column] = transition.input[row] }
        }
        let pass = state.network.forward(input)
        var logitGradient = Matrix(rows: pass.logits.rows, columns: batch.count)
        var valueGradient = [Double](repeating: 0, count: batch.count)
        let clip = settings.real("clip"), entropyWeight = settings.real("entropy_coefficient")
        for (column, transition) in batch.enumerated() {
            let heads = state.network.probabilities(pass.logits, column: column)
            var logProbability = 0.0
            for (index, action) in transition.actions.enumerated() { logProbability += log(max(heads[index][action], 1e-300)) }
            let ratio = exp(logProbability - transition.logProbability)
            let advantage = advantages[column]
            // The clipped objective min(r·A, clip(r)·A) has no gradient where the clip is the smaller term.
            let clipped = (advantage >= 0 && ratio > 1 + clip) || (advantage < 0 && ratio < 1 - clip)
            var offset = 0
            for (index, probabilities) in heads.enumerated() {
                let entropy = -probabilities.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
                for j in probabilities.indices {
                    let chosen = j == transition.actions[index] ? 1.0 : 0.0
                    var gradient = clipped ? 0 : -advantage * ratio * (chosen - probabilities[j])
                    if probabilities[j] > 0 { gradient += entropyWeight * probabilities[j] * (log(probabilities[j]) + entropy) }
                    logitGradient[offset + j, column] = gradient / size
                }
                offset += probabilities.count
            }
            valueGradient[column] = 2 * settings.real("value_coefficient") * (pass.values[column] - returns[column]) / size
        }
        return state.network.backward(pass, logitGradient: logitGradient, valueGradient: valueGradient)
    }
}
