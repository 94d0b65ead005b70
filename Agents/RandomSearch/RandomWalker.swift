import Foundation
import GymCore

/// ArchGym's random walker: a walk through the space that moves one parameter to a neighbouring value
/// at each step (see `ParameterSpace.neighbours`), restarting from a uniform draw with a given probability.
///
/// It ignores rewards, as ArchGym's did; it differs from random search in exploring locally.
public final class RandomWalker: Agent {
    /// The registry id.
    public static let id = "random-walker"

    /// The hyperparameters.
    public static let hyperparameters = ParameterSpace([
        .categorical("start", ["default", "random"], default: "random", summary: "where the walk starts"),
        .real("restart_probability", 0...1, default: 0, summary: "chance per step of jumping to a uniform draw"),
        .real("real_step", 0.001...0.5, default: 0.05, summary: "move of a real parameter per step, as a fraction of its range"),
    ])

    private struct State: Codable {
        var generator: SeededGenerator
        var position: Design?
    }

    private let space: ParameterSpace
    private let startsAtDefault: Bool
    private let restartProbability: Double
    private let realStep: Double
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        startsAtDefault = configuration.choice("start") == "default"
        restartProbability = configuration.real("restart_probability")
        realStep = configuration.real("real_step")
        state = State(generator: SeededGenerator(seed: configuration.seed), position: nil)
    }

    /// The next `count` positions of the walk.
    public func suggest(_ count: Int) throws -> [Design] {
        (0..<count).map { _ in
            let next: Design
            if let position = state.position, !state.generator.nextBool(probability: restartProbability) {
                let neighbours = space.neighbours(of: position, realStep: realStep)
                next = neighbours.isEmpty ? position : neighbours[state.generator.nextInt(below: neighbours.count)]
            } else if state.position == nil && startsAtDefault {
                next = space.defaultDesign
            } else {
                next = space.sample(using: &state.generator)
            }
            state.position = next
            return next
        }
    }

    /// The walk ignores rewards.
    public func observe(_ trials: [Trial]) throws {}

    /// The generator and the current position.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the generator and position.
    public func restore(_ checkpoint: Data) throws {
        var restored = try decodeState(State.self, from: checkpoint)
        // JSON does not keep 0.0 apart from 0: bring the position back to the space's canonical form.
        restored.position = try restored.position.map { try space.validate($0) }
        state = restored
    }
}
