import Foundation
import GymCore

/// Uniform random search: every suggestion is an independent uniform draw from the space.
///
/// With `feasible_only=true` it draws again (up to 1,000 times) until a design satisfies the space's
/// constraints; otherwise it samples the whole space, infeasible designs included, as ArchGym did.
public final class RandomSearch: Agent {
    /// The registry id.
    public static let id = "random"

    /// The hyperparameters.
    public static let hyperparameters = ParameterSpace([
        .categorical("feasible_only", ["false", "true"], default: "false",
                     summary: "draw again until a design satisfies the space's constraints"),
    ])

    private struct State: Codable {
        var generator: SeededGenerator
    }

    private let space: ParameterSpace
    private let feasibleOnly: Bool
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        feasibleOnly = configuration.flag("feasible_only")
        state = State(generator: SeededGenerator(seed: configuration.seed))
    }

    /// `count` independent draws.
    public func suggest(_ count: Int) throws -> [Design] {
        (0..<count).map { _ in
            if feasibleOnly, let design = space.sampleFeasible(using: &state.generator) { return design }
            return space.sample(using: &state.generator)
        }
    }

    /// Random search learns nothing.
    public func observe(_ trials: [Trial]) throws {}

    /// The generator's state.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the generator's state.
    public func restore(_ checkpoint: Data) throws { state = try decodeState(State.self, from: checkpoint) }
}
