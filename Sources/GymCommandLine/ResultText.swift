import Experiments
import Foundation
import GymCore
import GymStore

/// How `gym run` and `gym show` state results: metrics with their units, and a Pareto objective's front
/// and hypervolume rather than its first goal alone.
enum ResultText {
    /// A metric's column heading: its name and unit (none for a dimensionless one).
    static func heading(_ name: String, spec: EnvironmentSpec, goal: Goal? = nil) -> String {
        var notes: [String] = []
        if let unit = spec.metrics.first(where: { $0.name == name })?.unit, unit != "1" { notes.append(unit) }
        if let goal { notes.append(goal == .minimize ? "min" : "max") }
        return notes.isEmpty ? name : "\(name) (\(notes.joined(separator: ", ")))"
    }

    /// A metric's value with its unit: `12.5 ns`.
    static func value(_ name: String, _ value: Double?, spec: EnvironmentSpec) -> String {
        guard let unit = spec.metrics.first(where: { $0.name == name })?.unit, unit != "1", value != nil else { return formatNumber(value) }
        return "\(formatNumber(value)) \(unit)"
    }

    /// The goals of a Pareto objective, in order.
    static func goals(_ objective: Objective) -> [(metric: String, goal: Goal)] {
        objective.terms.map { ($0.metric, $0.goal ?? .minimize) }
    }

    /// A Pareto run's front: one trial per distinct point (the first to reach it), best first along the
    /// first goal, and the front's hypervolume within the run's own range of rewards.
    struct Front {
        var trials: [Trial]
        var hypervolume: Double?
    }

    static func front(_ trials: [Trial], objective: Objective) -> Front {
        var seen = Set<[Double]>()
        let distinct = Analysis.paretoFront(trials).sorted { $0.number < $1.number }.filter { seen.insert($0.rewards!).inserted }
        // Rewards are signed so that larger is better: the first goal's best first.
        let sorted = distinct.sorted { ($0.rewards![0], -$0.number) > ($1.rewards![0], -$1.number) }
        return Front(trials: sorted, hypervolume: Analysis.hypervolumeCurve(trials).last ?? nil)
    }

    /// One sentence on how the hypervolume is measured.
    static func hypervolumeDefinition(dimension: Int) -> String {
        "each goal scaled to 0…1 between the worst and best value this run found, reference point 0.1 below the worst, "
            + "as a fraction of the 1.1^\(dimension) box: 1 would be one design best at everything"
    }

    /// The front as table rows: trial, each goal in its unit, the design.
    static func frontRows(_ front: Front, objective: Objective, spec: EnvironmentSpec, limit: Int) -> [[String]] {
        let goals = goals(objective)
        var rows = [["trial"] + goals.map { heading($0.metric, spec: spec, goal: $0.goal) } + ["design"]]
        for trial in front.trials.prefix(limit) {
            rows.append([String(trial.number)] + goals.map { formatNumber(trial.evaluation.metrics[$0.metric]) } + [trial.design.canonicalJSON])
        }
        return rows
    }

    /// The design as a JSON value (its canonical form).
    static func json(_ design: Design) -> JSONValue {
        (try? JSONValue.parse(Data(design.canonicalJSON.utf8))) ?? .null
    }

    /// A trial as JSON: number, status, reward (and reward vector), design and metrics.
    static func json(_ trial: Trial) -> JSONValue {
        var fields: [String: JSONValue] = [
            "trial": .number(Double(trial.number)), "status": .string(trial.evaluation.status.rawValue),
            "reward": trial.reward.map(JSONValue.number) ?? .null, "design": json(trial.design),
            "metrics": .object(trial.evaluation.metrics.mapValues(JSONValue.number)), "cached": .bool(trial.cached),
            "worker": .string(trial.worker),
        ]
        if let rewards = trial.rewards { fields["rewards"] = .array(rewards.map(JSONValue.number)) }
        if let message = trial.evaluation.message { fields["message"] = .string(message) }
        return .object(fields)
    }
}
