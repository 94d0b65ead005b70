import Foundation
import GymCore
import GymStore

/// What a set of experiments found, grouped by environment, workload and objective, then by agent:
/// the best-so-far reward against evaluations (median and quartiles over the runs), the distribution of
/// final results over runs (the hyperparameter lottery), evaluations to reach a target, the best designs,
/// and the runs themselves. For a Pareto objective the measure is the hypervolume of the front found so
/// far, and each agent's front is kept for plotting.
public struct Report: Sendable {
    public struct Run: Sendable {
        public var experiment: Int64
        public var agent: String
        public var hyperparameters: String
        public var seed: UInt64
        public var trials: Int
        public var final: Double?
        /// The group's measure after each evaluation: the best reward so far, or for a Pareto objective the
        /// normalised hypervolume of the front so far.
        public var curve: [Double?]
    }

    public struct AgentSummary: Sendable {
        public var agent: String
        public var runs: [Run]
        /// Final measures over the runs: minimum, lower quartile, median, upper quartile, maximum.
        public var finals: [Double]
        /// Median and quartiles of the measure at each evaluation, over the runs that reached it.
        public var median: [Double]
        public var lower: [Double]
        public var upper: [Double]
        /// Median evaluations to reach the group's target, over the runs that reached it, and how many did.
        public var evaluationsToTarget: Double?
        public var reachedTarget: Int
    }

    /// A design on a Pareto front, with the values of the objective's metrics in their units.
    public struct FrontPoint: Sendable {
        public var experiment: Int64
        public var trial: Int
        public var values: [Double]
        public var design: String
    }

    /// What a Pareto objective adds: its goals, and the front each agent found over all its runs.
    public struct ParetoSummary: Sendable {
        public struct Axis: Sendable {
            public var metric: String
            public var unit: String
            public var goal: Goal
        }

        public var axes: [Axis]
        /// Each agent's non-dominated points over all its runs, by the first goal's value: one design per
        /// point, the first that reached it.
        public var fronts: [String: [FrontPoint]]
        /// The worst and best reward of each goal over the group's trials: the hypervolume is measured in
        /// rewards scaled to 0…1 between them, from a reference 0.1 below the worst, as a fraction of the
        /// 1.1ᵈ box (1 would be one design best at everything).
        public var worst: [Double]
        public var best: [Double]
    }

    public struct BestDesign: Sendable {
        public var experiment: Int64
        public var agent: String
        /// The reward, or for a Pareto objective the goals' values.
        public var score: String
        public var design: String
        public var metrics: String
    }

    public struct Group: Sendable {
        public var environment: String
        public var workload: String
        public var objective: String
        /// The median of every run's final measure in the group: the bar for sample efficiency.
        public var target: Double?
        public var agents: [AgentSummary]
        /// The best designs of the group (for a Pareto objective, designs spread along the group's front).
        public var best: [BestDesign]
        public var pareto: ParetoSummary?
        /// What the reward is in the metric's terms, for an objective of one metric: "−simulated_time (ns)".
        public var rewardMeaning: String?

        /// What the curves measure, for axis labels and tables.
        public var measure: String { pareto == nil ? "best reward so far" : "hypervolume so far (normalised)" }
        public var finalMeasure: String { pareto == nil ? "final best reward" : "final hypervolume" }
    }

    public var title: String
    public var groups: [Group]

    /// The report of `experiments` in `store`.
    public init(store: TrajectoryStore, experiments records: [ExperimentRecord], title: String) throws {
        self.title = title
        var grouped: [String: [ExperimentRecord]] = [:]
        var order: [String] = []
        for record in records {
            let key = "\(record.environmentID)\u{1F}\(record.workload)\u{1F}\(record.objective)"
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(record)
        }
        groups = []
        for key in order {
            let members = grouped[key]!
            let objective = members[0].objective
            var trialsOf: [Int64: [Trial]] = [:]
            for record in members { trialsOf[record.id!] = try store.trials(experiment: record.id!).sorted { $0.number < $1.number } }
            let pareto = objective.dimension > 1 ? Self.paretoSummary(members, trials: trialsOf) : nil
            var runs: [Run] = []
            for record in members {
                let trials = trialsOf[record.id!]!
                let curve = pareto.map { Self.hypervolumeCurve(trials, worst: $0.worst, best: $0.best) } ?? Analysis.bestSoFar(trials)
                runs.append(Run(experiment: record.id!, agent: record.agentID, hyperparameters: record.hyperparameters.canonicalJSON,
                                seed: record.seed, trials: trials.count, final: curve.last ?? nil, curve: curve))
            }
            let finals = runs.compactMap(\.final)
            let target = finals.isEmpty ? nil : Self.quantile(finals, 0.5)
            var agents: [AgentSummary] = []
            for agent in Array(Set(runs.map(\.agent))).sorted() {
                let own = runs.filter { $0.agent == agent }
                let length = own.map(\.curve.count).max() ?? 0
                var median: [Double] = [], lower: [Double] = [], upper: [Double] = []
                for step in 0..<length {
                    let values = own.compactMap { step < $0.curve.count ? $0.curve[step] : nil }
                    guard !values.isEmpty else { continue }
                    median.append(Self.quantile(values, 0.5))
                    lower.append(Self.quantile(values, 0.25))
                    upper.append(Self.quantile(values, 0.75))
                }
                let reached = own.compactMap { run -> Int? in
                    guard let target else { return nil }
                    return run.curve.firstIndex { ($0 ?? -.infinity) >= target }.map { $0 + 1 }
                }
                let ownFinals = own.compactMap(\.final)
                agents.append(AgentSummary(
                    agent: agent, runs: own,
                    finals: ownFinals.isEmpty ? [] : [0, 0.25, 0.5, 0.75, 1].map { Self.quantile(ownFinals, $0) },
                    median: median, lower: lower, upper: upper,
                    evaluationsToTarget: reached.isEmpty ? nil : Self.quantile(reached.map(Double.init), 0.5), reachedTarget: reached.count))
            }
            let labelled = members.flatMap { record in trialsOf[record.id!]!.map { (record.id!, record.agentID, $0) } }
            let best = pareto.map { Self.frontDesigns(labelled, axes: $0.axes) } ?? Self.bestDesigns(labelled)
            let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            var meaning: String?
            if objective.kind == .metric, let term = objective.terms.first {
                let unit = members[0].environmentSpec.metrics.first { $0.name == term.metric }?.unit ?? ""
                meaning = "\(term.goal == .minimize ? "−" : "")\(term.metric)\(unit.isEmpty || unit == "1" ? "" : " (\(unit))")"
            }
            groups.append(Group(environment: parts[0], workload: parts[1], objective: parts[2], target: target, agents: agents,
                                best: best, pareto: pareto, rewardMeaning: meaning))
        }
    }

    /// The five best distinct designs by reward.
    static func bestDesigns(_ trials: [(Int64, String, Trial)]) -> [BestDesign] {
        var seen = Set<String>()
        return trials.filter { $0.2.reward != nil }
            .sorted { ($0.2.reward!, -$0.0, -$0.2.number) > ($1.2.reward!, -$1.0, -$1.2.number) }
            .filter { seen.insert($0.2.design.hash).inserted }.prefix(5)
            .map { BestDesign(experiment: $0.0, agent: $0.1, score: number($0.2.reward!), design: $0.2.design.canonicalJSON, metrics: metricsText($0.2)) }
    }

    /// Up to ten points of the group's Pareto front, spread evenly along it by the first goal, each with the
    /// first design that reached it.
    static func frontDesigns(_ trials: [(Int64, String, Trial)], axes: [ParetoSummary.Axis]) -> [BestDesign] {
        let scored = trials.filter { $0.2.rewards != nil }
        var seen = Set<String>()
        let front = Pareto.nonDominatedIndices(scored.map { $0.2.rewards! }).map { scored[$0] }
            .sorted { a, b in
                let (x, y) = (a.2.rewards!, b.2.rewards!)
                return x != y ? x.lexicographicallyPrecedes(y, by: >) : (a.0, a.2.number) < (b.0, b.2.number)
            }
            .filter { seen.insert($0.2.rewards!.description).inserted }
        let shown = front.count <= 10 ? Array(front.indices) : (0..<10).map { $0 * (front.count - 1) / 9 }
        return shown.map { index in
            let (experiment, agent, trial) = front[index]
            let values = axes.map { "\($0.metric)=\(number(trial.evaluation.metrics[$0.metric] ?? .nan))" }.joined(separator: ", ")
            return BestDesign(experiment: experiment, agent: agent, score: values, design: trial.design.canonicalJSON, metrics: metricsText(trial))
        }
    }

    static func metricsText(_ trial: Trial) -> String {
        trial.evaluation.metrics.keys.sorted().map { "\($0)=\(number(trial.evaluation.metrics[$0]!))" }.joined(separator: ", ")
    }

    /// The goals of a Pareto group, its reward range, and each agent's front over all its runs.
    static func paretoSummary(_ members: [ExperimentRecord], trials: [Int64: [Trial]]) -> ParetoSummary {
        let record = members[0]
        let axes = record.objective.terms.map { term in
            ParetoSummary.Axis(metric: term.metric, unit: record.environmentSpec.metrics.first { $0.name == term.metric }?.unit ?? "",
                               goal: term.goal ?? .minimize)
        }
        let dimension = axes.count
        let vectors = members.flatMap { trials[$0.id!]! }.compactMap(\.rewards).filter { $0.count == dimension }
        let worst = (0..<dimension).map { k in vectors.map { $0[k] }.min() ?? 0 }
        let best = (0..<dimension).map { k in vectors.map { $0[k] }.max() ?? 1 }
        var fronts: [String: [FrontPoint]] = [:]
        for agent in Set(members.map(\.agentID)) {
            let scored = members.filter { $0.agentID == agent }.flatMap { record in trials[record.id!]!.map { (record.id!, $0) } }
                .filter { $0.1.rewards?.count == dimension }
            var seen = Set<String>()
            fronts[agent] = Pareto.nonDominatedIndices(scored.map { $0.1.rewards! }).map { scored[$0] }
                .filter { seen.insert($0.1.rewards!.description).inserted }
                .map { experiment, trial in
                    FrontPoint(experiment: experiment, trial: trial.number, values: axes.map { trial.evaluation.metrics[$0.metric] ?? .nan },
                               design: trial.design.canonicalJSON)
                }
                .sorted { $0.values.lexicographicallyPrecedes($1.values) }
        }
        return ParetoSummary(axes: axes, fronts: fronts, worst: worst, best: best)
    }

    /// Reward vectors scaled to 0…1 between the group's worst and best value of each goal.
    static func normalised(_ rewards: [Double], worst: [Double], best: [Double]) -> [Double] {
        Analysis.normalised(rewards, worst: worst, best: best)
    }

    /// The normalised hypervolume of the front after each trial (see `Analysis.hypervolumeCurve`).
    static func hypervolumeCurve(_ trials: [Trial], worst: [Double], best: [Double]) -> [Double?] {
        Analysis.hypervolumeCurve(trials, worst: worst, best: best)
    }

    /// The q-quantile by linear interpolation between order statistics.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.6g", value)
    }

    // MARK: Markdown

    /// A text summary for terminals and CI logs.
    public var markdown: String {
        var lines = ["# \(title)", ""]
        for group in groups {
            lines += ["## \(group.environment) · \(group.workload) · \(group.objective)", ""]
            if let pareto = group.pareto {
                lines += ["Measure: the hypervolume of each run's Pareto front, \(Self.hypervolumeDefinition(pareto))", ""]
            }
            if let target = group.target { lines += ["Target for sample efficiency: the median \(group.finalMeasure) over all runs, \(Self.number(target)).", ""] }
            let columns = Self.agentColumns(group)
            lines += ["| " + columns.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: columns.count)]
            for agent in group.agents { lines.append("| " + Self.agentCells(agent, in: group).joined(separator: " | ") + " |") }
            lines += ["", group.pareto == nil ? "Best designs:" : "Designs along the Pareto front of all runs:", ""]
            for best in group.best {
                lines.append("- \(best.score) — experiment \(best.experiment) (\(best.agent)): `\(best.design)` \(best.metrics)")
            }
            lines += ["", "| experiment | agent | hyperparameters | seed | trials | final | |", "|---|---|---|---|---|---|---|"]
            for agent in group.agents {
                for run in agent.runs {
                    lines.append("| \(run.experiment) | \(run.agent) | `\(run.hyperparameters)` | \(run.seed) | \(run.trials) | \(run.final.map(Self.number) ?? "—") | `gym show \(run.experiment)` |")
                }
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// The agents table's header: the HTML page and the markdown summary print the same table.
    static func agentColumns(_ group: Group) -> [String] {
        ["agent", "runs", "\(group.finalMeasure), median", "quartiles", "min … max",
         "evaluations to reach \(group.target.map(number) ?? "—") (the median \(group.finalMeasure))"]
            + (group.pareto == nil ? [] : ["points on its front"])
    }

    /// One agent's row of the agents table, as text.
    static func agentCells(_ agent: AgentSummary, in group: Group) -> [String] {
        let f = agent.finals
        let finals = f.isEmpty ? ["—", "—", "—"] : [number(f[2]), "\(number(f[1])) … \(number(f[3]))", "\(number(f[0])) … \(number(f[4]))"]
        let efficiency = agent.evaluationsToTarget.map { "\(number($0)) (\(agent.reachedTarget) of \(agent.runs.count) runs)" } ?? "not reached"
        return [agent.agent, String(agent.runs.count)] + finals + [efficiency] + (group.pareto.map { [String($0.fronts[agent.agent]?.count ?? 0)] } ?? [])
    }

    /// How the hypervolume is measured, in one sentence.
    static func hypervolumeDefinition(_ pareto: ParetoSummary) -> String {
        "with each goal (\(pareto.axes.map { "\($0.metric) \($0.goal == .minimize ? "min" : "max")" }.joined(separator: ", "))) scaled to 0…1 "
            + "between the worst and best value any run of the group found, from a reference 0.1 below the worst, "
            + "as a fraction of the \(pareto.axes.count == 2 ? "1.1²" : "1.1^\(pareto.axes.count)") box: 1 would be a single design best at everything."
    }
}
