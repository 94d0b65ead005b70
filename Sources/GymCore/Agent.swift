import Foundation

/// A search algorithm, driven by ask/tell: `suggest` designs, then `observe` the completed trials.
///
/// Given the same seed and the same history of observations, an agent makes the same suggestions. Its
/// whole state can be saved with `checkpoint` and brought back with `restore`, after which it suggests
/// exactly what it would have suggested had it never stopped.
public protocol Agent: AnyObject {
    /// The next `count` designs to evaluate, each valid in the agent's space.
    func suggest(_ count: Int) throws -> [Design]

    /// Learns from completed trials (sorted by number).
    func observe(_ trials: [Trial]) throws

    /// The agent's whole state.
    func checkpoint() throws -> Data

    /// Replaces the agent's state with one from `checkpoint()`.
    func restore(_ checkpoint: Data) throws
}

/// What an agent is created from: the space, the objective, its seed and its hyperparameters.
public struct AgentConfiguration: Sendable {
    /// The space to search.
    public var space: ParameterSpace
    /// The objective being maximised (its dimension tells single- from multi-objective).
    public var objective: Objective
    /// The agent's seed: every random choice it makes comes from a generator seeded with it.
    public var seed: UInt64
    /// Hyperparameter values, one per parameter of the agent's hyperparameter space.
    public var hyperparameters: Design

    /// Creates a configuration.
    public init(space: ParameterSpace, objective: Objective, seed: UInt64, hyperparameters: Design) {
        self.space = space
        self.objective = objective
        self.seed = seed
        self.hyperparameters = hyperparameters
    }

    /// The hyperparameter `name` as an integer.
    public func integer(_ name: String) -> Int { Int(hyperparameters[name]?.number ?? 0) }
    /// The hyperparameter `name` as a real number.
    public func real(_ name: String) -> Double { hyperparameters[name]?.number ?? 0 }
    /// The hyperparameter `name` as a string.
    public func choice(_ name: String) -> String { hyperparameters[name]?.string ?? "" }
    /// The hyperparameter `name` as a boolean (a categorical with choices "false" and "true").
    public func flag(_ name: String) -> Bool { hyperparameters[name]?.string == "true" }
}

/// An agent's checkpoint that cannot be restored.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// Why it cannot be restored.
    public var reason: String
    /// Creates the error.
    public init(_ reason: String) { self.reason = reason }
    /// The reason.
    public var description: String { "cannot restore the agent's checkpoint: \(reason)" }
}

extension Agent {
    /// Encodes a Codable state as sorted-key JSON, for `checkpoint()`.
    public func encodeState<State: Encodable>(_ state: State) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(state)
    }

    /// Decodes a state written by `encodeState`, for `restore(_:)`.
    public func decodeState<State: Decodable>(_ type: State.Type, from data: Data) throws -> State {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw CheckpointError("\(error)")
        }
    }
}
