import Foundation
import GymCore

/// A genetic algorithm over the shared parameter space, and NSGA-II when the objective has several goals.
///
/// Each generation breeds `population` children from the current population: parents by tournament,
/// uniform or one-point crossover, per-gene mutation that respects each parameter's kind. Survival keeps
/// the best of parents and children ((μ + λ), the default, as pymoo's GA) or replaces the parents with the
/// children except `elites`; with a Pareto objective, survival is NSGA-II's (non-dominated sorting, then
/// crowding distance; Deb et al. 2002) and tournaments compare rank, then crowding. Designs already
/// suggested are bred again (up to five tries) rather than spend the budget twice. With `generations`
/// above 0, the population restarts from random designs (keeping the best) after that many generations.
public final class GeneticAlgorithm: Agent {
    /// The registry id.
    public static let id = "genetic"

    /// The hyperparameters.
    public static let hyperparameters = ParameterSpace([
        .integer("population", 2...1024, default: 32, summary: "designs per generation"),
        .integer("generations", 0...100_000, default: 0,
                 summary: "generations before the population restarts from random designs keeping its best (0: never)"),
        .integer("tournament_size", 2...16, default: 2, summary: "designs compared to pick each parent"),
        .categorical("crossover", ["uniform", "one-point"], default: "uniform", summary: "how two parents mix"),
        .real("crossover_probability", 0...1, default: 0.9, summary: "chance that two parents are crossed at all"),
        .real("mutation_probability", 0...1, default: 0.1, summary: "chance that each gene mutates"),
        .real("real_mutation_sigma", 0.001...1, default: 0.1, summary: "standard deviation of a real gene's mutation, as a fraction of its range"),
        .categorical("survival", ["plus", "generational"], default: "plus",
                     summary: "keep the best of parents and children, or replace the parents by the children but the elites"),
        .integer("elites", 0...64, default: 1, summary: "best designs carried over under generational survival"),
    ])

    /// ArchGym's sweep grid for its GA (scikit-opt): population × iterations × mutation probability = 72 settings.
    public static let archGymGrid: [String: [ParameterValue]] = [
        "population": [2, 4, 8, 16, 32, 64],
        "generations": [8, 16, 32, 64],
        "mutation_probability": [0.001, 0.01, 0.05],
    ]

    private struct State: Codable {
        var generator: SeededGenerator
        var population: [Individual] = []
        var offspring: [Individual] = []
        var queue: [Design] = []
        var generation = 0
        var seen: Set<String> = []
        var best: Individual?
    }

    private let space: ParameterSpace
    private let size: Int
    private let generations: Int
    private let tournamentSize: Int
    private let generational: Bool
    private let elites: Int
    private let multiObjective: Bool
    private let variation: Variation
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        size = configuration.integer("population")
        generations = configuration.integer("generations")
        tournamentSize = configuration.integer("tournament_size")
        generational = configuration.choice("survival") == "generational"
        elites = configuration.integer("elites")
        multiObjective = configuration.objective.dimension > 1
        variation = Variation(space: space, crossover: configuration.choice("crossover"),
                              crossoverProbability: configuration.real("crossover_probability"),
                              mutationProbability: configuration.real("mutation_probability"),
                              realSigma: configuration.real("real_mutation_sigma"))
        state = State(generator: SeededGenerator(seed: configuration.seed))
    }

    /// The next designs of the current generation, breeding a new one when it is used up.
    public func suggest(_ count: Int) throws -> [Design] {
        var designs: [Design] = []
        while designs.count < count {
            if state.queue.isEmpty { refill() }
            let design = state.queue.removeFirst()
            state.seen.insert(design.hash)
            designs.append(design)
        }
        return designs
    }

    /// Adds evaluated children to the generation being completed.
    public func observe(_ trials: [Trial]) throws {
        for trial in trials {
            let individual = Individual(design: trial.design, rewards: trial.rewards)
            state.offspring.append(individual)
            if better(individual, than: state.best) { state.best = individual }
        }
    }

    /// The whole state: generator, population, pending children, designs seen.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the state (designs brought back to canonical form).
    public func restore(_ checkpoint: Data) throws {
        var restored = try decodeState(State.self, from: checkpoint)
        func canonical(_ individual: Individual) throws -> Individual {
            Individual(design: try space.validate(individual.design), rewards: individual.rewards)
        }
        restored.population = try restored.population.map(canonical)
        restored.offspring = try restored.offspring.map(canonical)
        restored.queue = try restored.queue.map { try space.validate($0) }
        restored.best = try restored.best.map(canonical)
        state = restored
    }

    // MARK: - Generations

    private func refill() {
        let pool = state.population + state.offspring
        if pool.isEmpty {
            state.queue = randomDesigns(size)
            return
        }
        state.population = survive(pool)
        state.offspring = []
        state.generation += 1
        if generations > 0 && state.generation % generations == 0 {
            // Restart: a fresh random population around the best design found.
            state.population = state.best.map { [$0] } ?? []
            state.queue = randomDesigns(size - state.population.count)
            if state.queue.isEmpty { state.queue = randomDesigns(1) }
            return
        }
        state.queue = breed(size)
    }

    private func randomDesigns(_ count: Int) -> [Design] {
        (0..<count).map { _ in fresh { space.sample(using: &state.generator) } }
    }

    /// A design from `make` not suggested before (up to 5 more draws).
    private func fresh(_ make: () -> Design) -> Design {
        // `make` draws from `state.generator`: the set is moved out so the two never overlap.
        var seen: Set<String> = []
        swap(&seen, &state.seen)
        defer { swap(&seen, &state.seen) }
        return Design.unseen(&seen, attempts: 5, make)
    }

    private func breed(_ count: Int) -> [Design] {
        let ranking = Ranking(state.population, multiObjective: multiObjective)
        var children: [Design] = []
        while children.count < count {
            let first = tournament(ranking)
            let second = tournament(ranking)
            let (a, b) = variation.cross(state.population[first].design, state.population[second].design, using: &state.generator)
            for parent in [a, b] where children.count < count {
                children.append(fresh { variation.mutate(parent, using: &state.generator) })
            }
        }
        return children
    }

    private func tournament(_ ranking: Ranking) -> Int {
        var winner = state.generator.nextInt(below: state.population.count)
        for _ in 1..<tournamentSize {
            let challenger = state.generator.nextInt(below: state.population.count)
            if ranking.prefers(challenger, over: winner) { winner = challenger }
        }
        return winner
    }

    private func survive(_ pool: [Individual]) -> [Individual] {
        var unique: [Individual] = []
        var hashes: Set<String> = []
        for individual in pool where hashes.insert(individual.design.hash).inserted { unique.append(individual) }
        if multiObjective {
            var survivors: [Individual] = []
            for front in NonDominatedSorting.fronts(unique) {
                if survivors.count + front.count <= size {
                    survivors += front.map { unique[$0] }
                } else {
                    let crowding = NonDominatedSorting.crowding(front, in: unique)
                    let ordered = front.sorted { (crowding[$0]!, -$0) > (crowding[$1]!, -$1) }
                    survivors += ordered.prefix(size - survivors.count).map { unique[$0] }
                    break
                }
            }
            return survivors
        }
        let ranked = Self.sortedBest(unique)
        guard generational else { return Array(ranked.prefix(size)) }
        let keep = Array(ranked.prefix(elites))
        let keptHashes = Set(keep.map(\.design.hash))
        let children = Self.sortedBest(state.offspring).filter { !keptHashes.contains($0.design.hash) }
        var survivors = keep + children.prefix(max(size - keep.count, 0))
        if survivors.count < size {
            let taken = Set(survivors.map(\.design.hash))
            survivors += ranked.filter { !taken.contains($0.design.hash) }.prefix(size - survivors.count)
        }
        return survivors
    }

    /// Best first; individuals without a reward last; ties keep their order.
    static func sortedBest(_ individuals: [Individual]) -> [Individual] {
        individuals.enumerated().sorted { a, b in
            let x = a.element.rewards?.first, y = b.element.rewards?.first
            if x == y { return a.offset < b.offset }
            return Objective.isBetter(x, than: y)
        }.map(\.element)
    }

    private func better(_ a: Individual, than b: Individual?) -> Bool {
        guard let b else { return a.rewards != nil }
        if multiObjective {
            guard let x = a.rewards, let y = b.rewards else { return a.rewards != nil && b.rewards == nil }
            return Pareto.dominates(x, y)
        }
        return Objective.isBetter(a.rewards?.first, than: b.rewards?.first)
    }
}

/// Who wins a tournament: the higher reward, or for NSGA-II the better front, then the larger crowding distance.
struct Ranking {
    private var rank: [Int] = []
    private var crowding: [Double] = []
    private var reward: [Double?] = []
    private let multiObjective: Bool

    init(_ population: [Individual], multiObjective: Bool) {
        self.multiObjective = multiObjective
        if multiObjective {
            rank = Array(repeating: 0, count: population.count)
            crowding = Array(repeating: 0, count: population.count)
            for (level, front) in NonDominatedSorting.fronts(population).enumerated() {
                let distances = NonDominatedSorting.crowding(front, in: population)
                for index in front {
                    rank[index] = level
                    crowding[index] = distances[index]!
                }
            }
        } else {
            reward = population.map { $0.rewards?.first }
        }
    }

    func prefers(_ a: Int, over b: Int) -> Bool {
        if multiObjective {
            return rank[a] < rank[b] || (rank[a] == rank[b] && crowding[a] > crowding[b])
        }
        return Objective.isBetter(reward[a], than: reward[b])
    }
}
