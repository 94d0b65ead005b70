import GymCore

/// Summaries of a finished or running experiment's trials.
public enum Analysis {
    /// The best trial by reward (ties go to the earlier trial), if any trial has a reward.
    public static func best(_ trials: [Trial]) -> Trial? {
        var best: Trial?
        for trial in trials where Objective.isBetter(trial.reward, than: best?.reward) { best = trial }
        return best
    }

    /// The `count` best trials by reward, best first (ties by trial number).
    public static func top(_ trials: [Trial], count: Int) -> [Trial] {
        Array(trials.filter { $0.reward != nil }
            .sorted { ($0.reward!, -$0.number) > ($1.reward!, -$1.number) }
            .prefix(count))
    }

    /// The best reward seen after each trial, in trial order (nil until a trial has a reward).
    public static func bestSoFar(_ trials: [Trial]) -> [Double?] {
        var best: Double?
        return trials.sorted { $0.number < $1.number }.map { trial in
            if Objective.isBetter(trial.reward, than: best) { best = trial.reward }
            return best
        }
    }

    /// The trials whose reward vectors no other trial dominates, in trial order.
    public static func paretoFront(_ trials: [Trial]) -> [Trial] {
        let scored = trials.filter { $0.rewards != nil }
        return Pareto.nonDominatedIndices(scored.map { $0.rewards! }).map { scored[$0] }
    }
}
