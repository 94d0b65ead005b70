import Foundation
import GymCore

/// Ant colony optimisation over the shared parameter space, with the knobs ArchGym's sweeps varied.
///
/// Every (parameter, value) pair carries pheromone (real parameters are cut into `bins` equal slices of
/// their (log-)range; an ant picking a slice draws its value uniformly inside it). An ant builds a design
/// one parameter at a time: with probability `greediness` it takes the value with the most pheromone,
/// otherwise it draws a value in proportion to pheromone. After every `ant_count` evaluated ants the
/// pheromone evaporates by the factor 1 − `evaporation`; then the best quarter of the iteration's ants
/// deposit on their choices by rank (the best 1, the next less; AS_rank), and the best ant so far deposits 1. Pheromone stays within [0.01, 100] (as in MAX–MIN ant systems) so
/// no value is ever ruled out. Failed ants deposit nothing; with several goals the first goal's reward counts.
public final class AntColony: Agent {
    /// The registry id.
    public static let id = "ant-colony"

    /// The hyperparameters.
    public static let hyperparameters = ParameterSpace([
        .integer("ant_count", 1...256, default: 16, summary: "ants (designs) per iteration, between pheromone updates"),
        .real("evaporation", 0...1, default: 0.1, summary: "fraction of pheromone that evaporates each iteration"),
        .real("greediness", 0...1, default: 0.1, summary: "chance of taking the value with the most pheromone"),
        .integer("bins", 2...100, default: 10, summary: "slices of a real parameter's range"),
    ])

    /// ArchGym's sweep grid for its ant colony (DeepSwarm) without its network-depth knob, which has no
    /// meaning for a flat parameter space: 6 × 5 × 5 = 150 settings.
    public static let archGymGrid: [String: [ParameterValue]] = [
        "ant_count": [2, 4, 8, 16, 32, 64],
        "evaporation": [0.1, 0.25, 0.5, 0.75, 1.0],
        "greediness": [0.0, 0.25, 0.5, 0.75, 1.0],
    ]

    static let minimumPheromone = 0.01
    static let maximumPheromone = 100.0

    private struct Ant: Codable {
        var choices: [Int]
        var reward: Double?
    }

    private struct State: Codable {
        var generator: SeededGenerator
        var pheromone: [[Double]]
        var iteration: [Ant] = []
        var best: Ant?
    }

    private let space: ParameterSpace
    private let antCount: Int
    private let evaporation: Double
    private let greediness: Double
    private let bins: Int
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        antCount = configuration.integer("ant_count")
        evaporation = configuration.real("evaporation")
        greediness = configuration.real("greediness")
        bins = configuration.integer("bins")
        let widths = configuration.space.parameters.map { $0.cardinality ?? configuration.integer("bins") }
        state = State(generator: SeededGenerator(seed: configuration.seed), pheromone: widths.map { Array(repeating: 1, count: $0) })
    }

    /// `count` ants built from the current pheromone.
    public func suggest(_ count: Int) throws -> [Design] {
        (0..<count).map { _ in
            var values: [String: ParameterValue] = [:]
            for (index, parameter) in space.parameters.enumerated() {
                let choice = choose(state.pheromone[index])
                if parameter.cardinality != nil {
                    values[parameter.name] = parameter.value(at: choice)
                } else {
                    values[parameter.name] = parameter.value(atUnit: (Double(choice) + state.generator.nextUnit()) / Double(bins))
                }
            }
            return Design(values)
        }
    }

    /// Records evaluated ants; every `ant_count` of them, updates the pheromone.
    public func observe(_ trials: [Trial]) throws {
        for trial in trials {
            let ant = Ant(choices: choices(of: trial.design), reward: trial.rewards?.first)
            state.iteration.append(ant)
            if Objective.isBetter(ant.reward, than: state.best?.reward) { state.best = ant }
            if state.iteration.count >= antCount { update() }
        }
    }

    /// The whole state: generator, pheromone, the ants of the current iteration, the best ant.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the state.
    public func restore(_ checkpoint: Data) throws { state = try decodeState(State.self, from: checkpoint) }

    private func choose(_ pheromone: [Double]) -> Int {
        if state.generator.nextBool(probability: greediness) {
            let most = pheromone.max()!
            let best = pheromone.indices.filter { pheromone[$0] == most }
            return best[state.generator.nextInt(below: best.count)]
        }
        var target = state.generator.nextUnit() * pheromone.reduce(0, +)
        for (index, amount) in pheromone.enumerated() {
            target -= amount
            if target < 0 { return index }
        }
        return pheromone.count - 1
    }

    private func choices(of design: Design) -> [Int] {
        space.parameters.map { parameter in
            guard let value = design[parameter.name] else { return 0 }
            if parameter.cardinality != nil { return parameter.index(of: value) ?? 0 }
            return min(bins - 1, Int(parameter.unitCoordinate(of: value) * Double(bins)))
        }
    }

    private func update() {
        for p in state.pheromone.indices {
            for v in state.pheromone[p].indices { state.pheromone[p][v] *= 1 - evaporation }
        }
        // Rank-based deposits (Bullnheimer et al.'s AS_rank): the w best ants of the iteration deposit
        // (w − r)/w for rank r = 0…w−1, w = ⌈ant_count/4⌉, and the best ant so far deposits 1.
        let ranked = state.iteration.filter { $0.reward != nil }.enumerated()
            .sorted { ($0.element.reward!, -$0.offset) > ($1.element.reward!, -$1.offset) }.map(\.element)
        let width = max(1, (antCount + 3) / 4)
        var depositors: [(Ant, Double)] = ranked.prefix(width).enumerated().map { ($1, Double(width - $0) / Double(width)) }
        if let best = state.best, best.reward != nil { depositors.append((best, 1)) }
        for (ant, amount) in depositors {
            for (p, choice) in ant.choices.enumerated() { state.pheromone[p][choice] += amount }
        }
        for p in state.pheromone.indices {
            for v in state.pheromone[p].indices {
                state.pheromone[p][v] = min(max(state.pheromone[p][v], Self.minimumPheromone), Self.maximumPheromone)
            }
        }
        state.iteration = []
    }
}
