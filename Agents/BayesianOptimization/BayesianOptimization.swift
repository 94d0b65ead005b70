import Foundation
import GymCore
import LinearAlgebra

/// Bayesian optimisation with a Gaussian process over the shared one-hot encoding of the space.
///
/// After `initial_points` random designs, each suggestion fits a Matérn-5/2 GP with one length scale per
/// input and a noise term, by maximising the marginal likelihood from `fit_restarts` starts (the last fit,
/// the default, and random ones), on rewards standardised to mean 0 and deviation 1; failed and infeasible
/// trials count as the worst reward seen, so the model learns to avoid them. The acquisition — expected
/// improvement, upper confidence bound, probability of improvement, or a GP-Hedge portfolio over the three
/// (Hoffman et al. 2011, as scikit-optimize's `gp_hedge`) — is maximised over the mixed space by scoring
/// `candidates` random designs (only feasible ones when the space can tell) and climbing from the best of
/// them through neighbouring designs. Batches use the kriging believer (the GP's mean stands in for pending
/// results) or the constant liar (the worst reward does). Designs already suggested are never suggested again.
public final class BayesianOptimization: Agent {
    /// The registry id.
    public static let id = "bayesian"

    /// The hyperparameters (defaults follow scikit-optimize's `gp_minimize` where it has one).
    public static let hyperparameters = ParameterSpace([
        .integer("initial_points", 1...1000, default: 10, summary: "random designs before the GP takes over"),
        .categorical("acquisition", ["hedge", "ei", "ucb", "pi"], default: "hedge",
                     summary: "expected improvement, upper confidence bound, probability of improvement, or a hedge over them"),
        .real("xi", 0...1, default: 0.01, summary: "improvement margin of EI and PI, in standardised reward units"),
        .real("kappa", 0...10, default: 1.96, summary: "weight of the deviation in UCB"),
        .integer("candidates", 50...100_000, default: 1000, summary: "random designs scored per suggestion"),
        .integer("local_search_starts", 0...50, default: 5, summary: "best candidates improved by climbing through neighbours"),
        .integer("fit_restarts", 1...10, default: 3, summary: "starts of the marginal-likelihood maximisation"),
        .integer("fit_iterations", 10...500, default: 60, summary: "Adam steps per start"),
        .integer("fit_limit", 20...2000, default: 200,
                 summary: "observations used to fit the hyperparameters (the best half and a random half of the rest); all are used to predict"),
        .categorical("batch_strategy", ["kriging-believer", "constant-liar"], default: "kriging-believer",
                     summary: "what stands in for results still pending within a batch"),
    ])

    private struct Observation: Codable {
        var design: Design
        var reward: Double?
    }

    private struct State: Codable {
        var generator: SeededGenerator
        var observations: [Observation] = []
        var pending: [Design] = []
        var seen: Set<String> = []
        var gains: [Double] = [0, 0, 0]
        var lastProposals: [[Double]] = []
        var lastFit: GPHyperparameters?
    }

    private let space: ParameterSpace
    private let settings: AgentConfiguration
    private var state: State

    /// Creates the agent from a configuration.
    public init(_ configuration: AgentConfiguration) {
        space = configuration.space
        settings = configuration
        state = State(generator: SeededGenerator(seed: configuration.seed))
    }

    /// The next `count` designs: random while there is too little data, then GP-guided.
    public func suggest(_ count: Int) throws -> [Design] {
        var designs: [Design] = []
        let scored = state.observations.filter { $0.reward != nil }
        if state.observations.count + state.pending.count < settings.integer("initial_points") || scored.count < 2 {
            while designs.count < count { designs.append(fresh { space.sample(using: &state.generator) }) }
        } else {
            designs = try guided(count)
        }
        state.pending += designs
        return designs
    }

    /// Records results and drops them from the pending designs.
    public func observe(_ trials: [Trial]) throws {
        for trial in trials {
            state.observations.append(Observation(design: trial.design, reward: trial.rewards?.first))
            if let index = state.pending.firstIndex(of: trial.design) { state.pending.remove(at: index) }
        }
    }

    /// The whole state: generator, observations, pending designs, hedge gains, last fit.
    public func checkpoint() throws -> Data { try encodeState(state) }

    /// Restores the state (designs brought back to canonical form).
    public func restore(_ checkpoint: Data) throws {
        var restored = try decodeState(State.self, from: checkpoint)
        restored.observations = try restored.observations.map { Observation(design: try space.validate($0.design), reward: $0.reward) }
        restored.pending = try restored.pending.map { try space.validate($0) }
        state = restored
    }

    /// A design from `make` not suggested before (up to 20 more draws).
    private func fresh(_ make: () -> Design) -> Design {
        // `make` draws from `state.generator`: the set is moved out so the two never overlap.
        var seen: Set<String> = []
        swap(&seen, &state.seen)
        defer { swap(&seen, &state.seen) }
        return Design.unseen(&seen, attempts: 20, make)
    }

    // MARK: - The model-guided step

    private func guided(_ count: Int) throws -> [Design] {
        let rewards = state.observations.map(\.reward)
        let present = rewards.compactMap { $0 }
        let worst = present.min()!
        let raw = rewards.map { $0 ?? worst }
        let mean = raw.reduce(0, +) / Double(raw.count)
        let spread = (raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(raw.count)).squareRoot()
        let scale = spread > 0 ? spread : 1
        var inputs = state.observations.map { space.oneHotVector($0.design) }
        var targets = raw.map { ($0 - mean) / scale }

        let hyperparameters = fitHyperparameters(inputs, targets)
        state.lastFit = hyperparameters
        var process = try GaussianProcess(inputs: inputs, targets: targets, hyperparameters: hyperparameters)

        // GP-Hedge: reward each acquisition with the model's mean at the design it proposed last time.
        if !state.lastProposals.isEmpty {
            let means = process.predict(state.lastProposals).mean
            for index in means.indices { state.gains[index] += means[index] }
        }
        // Designs suggested but not yet observed stand in as lies.
        for design in state.pending {
            let lie = lieValue(process, design, targets)
            inputs.append(space.oneHotVector(design))
            targets.append(lie)
        }
        if !state.pending.isEmpty { process = try GaussianProcess(inputs: inputs, targets: targets, hyperparameters: hyperparameters) }

        let candidates = candidateDesigns()
        let candidateVectors = candidates.map { space.oneHotVector($0) }
        var designs: [Design] = []
        for position in 0..<count {
            let best = targets.max()!
            let design: Design
            let prediction = process.predict(candidateVectors)
            if position == 0 && settings.choice("acquisition") == "hedge" {
                let proposals = Acquisition.allCases.map { maximise($0, process, best, candidates, prediction) }
                state.lastProposals = proposals.map { space.oneHotVector($0) }
                let chosen = hedgeChoice()
                design = proposals[chosen]
            } else {
                let acquisition = settings.choice("acquisition") == "hedge"
                    ? Acquisition.allCases[hedgeChoice()] : Acquisition(rawValue: settings.choice("acquisition"))!
                design = maximise(acquisition, process, best, candidates, prediction)
            }
            state.seen.insert(design.hash)
            designs.append(design)
            guard position + 1 < count else { break }
            inputs.append(space.oneHotVector(design))
            targets.append(lieValue(process, design, targets))
            process = try GaussianProcess(inputs: inputs, targets: targets, hyperparameters: hyperparameters)
        }
        return designs
    }

    private func lieValue(_ process: GaussianProcess, _ design: Design, _ targets: [Double]) -> Double {
        settings.choice("batch_strategy") == "constant-liar" ? targets.min()! : process.predict([space.oneHotVector(design)]).mean[0]
    }

    private func hedgeChoice() -> Int {
        let largest = state.gains.max()!
        let weights = state.gains.map { exp($0 - largest) }
        var target = state.generator.nextUnit() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }

    private func fitHyperparameters(_ inputs: [[Double]], _ targets: [Double]) -> GPHyperparameters {
        let limit = settings.integer("fit_limit")
        var fitInputs = inputs, fitTargets = targets
        if inputs.count > limit {
            // The best half of the limit, and a random draw from the rest.
            let order = targets.indices.sorted { (targets[$0], -$0) > (targets[$1], -$1) }
            var chosen = Array(order.prefix(limit / 2))
            var rest = Array(order.dropFirst(limit / 2))
            state.generator.shuffle(&rest)
            chosen += rest.prefix(limit - chosen.count)
            chosen.sort()
            fitInputs = chosen.map { inputs[$0] }
            fitTargets = chosen.map { targets[$0] }
        }
        let dimension = inputs[0].count
        var starts = [GPHyperparameters(logSignal: 0, logLengths: Array(repeating: log(0.5), count: dimension), logNoise: log(0.01))]
        if let last = state.lastFit, last.logLengths.count == dimension { starts.insert(last, at: 0) }
        while starts.count < settings.integer("fit_restarts") + (state.lastFit == nil ? 0 : 1) {
            starts.append(GPHyperparameters(
                logSignal: log(0.5) + state.generator.nextUnit() * log(4),
                logLengths: (0..<dimension).map { _ in log(0.05) + state.generator.nextUnit() * (log(5) - log(0.05)) },
                logNoise: log(1e-4) + state.generator.nextUnit() * (log(0.1) - log(1e-4))))
        }
        return GaussianProcess.fit(inputs: fitInputs, targets: fitTargets, starts: starts,
                                   iterations: settings.integer("fit_iterations"))
    }

    /// `candidates` random designs, only feasible ones when the space's constraints can be checked here.
    private func candidateDesigns() -> [Design] {
        let checksConstraints = space.constraints.contains { $0.predicate != nil }
        var candidates: [Design] = []
        var attempts = 0
        let wanted = settings.integer("candidates")
        while candidates.count < wanted && attempts < wanted * 20 {
            let design = space.sample(using: &state.generator)
            attempts += 1
            if !checksConstraints || space.isFeasible(design) { candidates.append(design) }
        }
        return candidates.isEmpty ? [space.sample(using: &state.generator)] : candidates
    }

    /// The design maximising `acquisition`: the best of the candidates, improved by climbing through
    /// neighbours from the best few candidates and the best observed design.
    private func maximise(_ acquisition: Acquisition, _ process: GaussianProcess, _ best: Double, _ candidates: [Design],
                          _ prediction: (mean: [Double], deviation: [Double])) -> Design {
        let xi = settings.real("xi"), kappa = settings.real("kappa")
        let checksConstraints = space.constraints.contains { $0.predicate != nil }
        func value(_ design: Design, _ mean: Double, _ deviation: Double) -> Double {
            state.seen.contains(design.hash) ? -.infinity
                : acquisition.value(mean: mean, deviation: deviation, best: best, xi: xi, kappa: kappa)
        }
        func score(_ designs: [Design]) -> [Double] {
            let (mean, deviation) = process.predict(designs.map { space.oneHotVector($0) })
            return designs.indices.map { value(designs[$0], mean[$0], deviation[$0]) }
        }
        var scores = candidates.indices.map { value(candidates[$0], prediction.mean[$0], prediction.deviation[$0]) }
        let order = candidates.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }
        var starts = order.prefix(settings.integer("local_search_starts")).map { (candidates[$0], scores[$0]) }
        if let bestObserved = state.observations.filter({ $0.reward != nil }).max(by: { $0.reward! < $1.reward! }) {
            starts.append((bestObserved.design, score([bestObserved.design])[0]))
        }
        var champion = (candidates[order[0]], scores[order[0]])
        for var (current, currentScore) in starts {
            for _ in 0..<10 {
                let neighbours = space.neighbours(of: current, realStep: 0.02)
                    .filter { !checksConstraints || space.isFeasible($0) }
                guard !neighbours.isEmpty else { break }
                scores = score(neighbours)
                let top = scores.indices.max { (scores[$0], -$0) < (scores[$1], -$1) }!
                guard scores[top] > currentScore else { break }
                (current, currentScore) = (neighbours[top], scores[top])
            }
            if currentScore > champion.1 { champion = (current, currentScore) }
        }
        if champion.1 == -.infinity { return fresh { space.sample(using: &state.generator) } }
        return champion.0
    }
}
