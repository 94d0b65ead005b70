import Foundation
import GymCore
import GymStore

/// What a set of experiments found, grouped by environment, workload and objective, then by agent:
/// the best-so-far reward against evaluations (median and quartiles over the runs), the distribution of
/// final results over runs (the hyperparameter lottery), evaluations to reach a target, the best designs,
/// and the runs themselves.
public struct Report: Sendable {
    public struct Run: Sendable {
        public var experiment: Int64
        public var agent: String
        public var hyperparameters: String
        public var seed: UInt64
        public var trials: Int
        public var final: Double?
        /// Best reward after each evaluation.
        public var curve: [Double?]
    }

    public struct AgentSummary: Sendable {
        public var agent: String
        public var runs: [Run]
        /// Final best rewards over the runs: minimum, lower quartile, median, upper quartile, maximum.
        public var finals: [Double]
        /// Median and quartiles of the best-so-far reward at each evaluation, over the runs that reached it.
        public var median: [Double]
        public var lower: [Double]
        public var upper: [Double]
        /// Median evaluations to reach the group's target, over the runs that reached it, and how many did.
        public var evaluationsToTarget: Double?
        public var reachedTarget: Int
    }

    public struct Group: Sendable {
        public var environment: String
        public var workload: String
        public var objective: String
        /// The median of every run's final best reward in the group: the bar for sample efficiency.
        public var target: Double?
        public var agents: [AgentSummary]
        /// The best designs of the group: experiment, agent, reward, design and metrics.
        public var best: [(experiment: Int64, agent: String, reward: Double, design: String, metrics: String)]
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
            var runs: [Run] = []
            var bestTrials: [(Int64, String, Trial)] = []
            for record in members {
                let trials = try store.trials(experiment: record.id!)
                let curve = Analysis.bestSoFar(trials)
                runs.append(Run(experiment: record.id!, agent: record.agentID, hyperparameters: record.hyperparameters.canonicalJSON,
                                seed: record.seed, trials: trials.count, final: curve.last ?? nil, curve: curve))
                bestTrials += Analysis.top(trials, count: 3).map { (record.id!, record.agentID, $0) }
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
            var seen = Set<String>()
            let best = bestTrials.sorted { ($0.2.reward!, -$0.0) > ($1.2.reward!, -$1.0) }.filter { seen.insert($0.2.design.hash).inserted }.prefix(5).map { experiment, agent, trial in
                (experiment, agent, trial.reward!, trial.design.canonicalJSON,
                 trial.evaluation.metrics.keys.sorted().map { "\($0)=\(Self.number(trial.evaluation.metrics[$0]!))" }.joined(separator: ", "))
            }
            let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            groups.append(Group(environment: parts[0], workload: parts[1], objective: parts[2], target: target, agents: agents, best: Array(best)))
        }
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
            if let target = group.target { lines += ["Target for sample efficiency: the median final reward over all runs, \(Self.number(target)).", ""] }
            lines += ["| agent | runs | final reward: median | quartiles | min … max | evaluations to target |",
                      "|---|---|---|---|---|---|"]
            for agent in group.agents {
                let finals = agent.finals
                let summary = finals.isEmpty ? "— | — | —"
                    : "\(Self.number(finals[2])) | \(Self.number(finals[1])) … \(Self.number(finals[3])) | \(Self.number(finals[0])) … \(Self.number(finals[4]))"
                let efficiency = agent.evaluationsToTarget.map { "\(Self.number($0)) (\(agent.reachedTarget) of \(agent.runs.count) runs)" } ?? "not reached"
                lines.append("| \(agent.agent) | \(agent.runs.count) | \(summary) | \(efficiency) |")
            }
            lines += ["", "Best designs:", ""]
            for best in group.best {
                lines.append("- \(Self.number(best.reward)) — experiment \(best.experiment) (\(best.agent)): `\(best.design)` \(best.metrics)")
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
}
