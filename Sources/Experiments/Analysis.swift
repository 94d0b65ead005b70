import Foundation
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

    /// Reward vectors scaled to 0…1 between the worst and best value of each goal.
    public static func normalised(_ rewards: [Double], worst: [Double], best: [Double]) -> [Double] {
        zip(rewards, zip(worst, best)).map { value, range in range.1 > range.0 ? (value - range.0) / (range.1 - range.0) : 0 }
    }

    /// The worst and best reward of each goal over the trials with reward vectors (nil if none has one).
    public static func rewardRange(_ trials: [Trial]) -> (worst: [Double], best: [Double])? {
        let vectors = trials.compactMap(\.rewards)
        guard let dimension = vectors.first?.count, vectors.allSatisfy({ $0.count == dimension }) else { return nil }
        return ((0..<dimension).map { goal in vectors.map { $0[goal] }.min()! }, (0..<dimension).map { goal in vectors.map { $0[goal] }.max()! })
    }

    /// The normalised hypervolume of the front after each trial, in trial order (nil until a trial has a
    /// reward vector): rewards scaled to 0…1 between `worst` and `best`, reference point 0.1 below the worst
    /// of each goal, divided by the 1.1ᵈ box, so 1 would be a single design best at everything.
    public static func hypervolumeCurve(_ trials: [Trial], worst: [Double], best: [Double]) -> [Double?] {
        let dimension = worst.count
        let reference = [Double](repeating: -0.1, count: dimension)
        let box = pow(1.1, Double(dimension))
        var front: [[Double]] = []
        var current: Double?
        return trials.sorted { $0.number < $1.number }.map { trial in
            guard let rewards = trial.rewards, rewards.count == dimension else { return current }
            let point = normalised(rewards, worst: worst, best: best)
            if !front.contains(where: { $0 == point || Pareto.dominates($0, point) }) {
                front.removeAll { Pareto.dominates(point, $0) }
                front.append(point)
                current = Pareto.hypervolume(front, reference: reference) / box
            }
            return current
        }
    }

    /// The hypervolume curve of one run measured within its own range of rewards (`rewardRange`).
    public static func hypervolumeCurve(_ trials: [Trial]) -> [Double?] {
        guard let range = rewardRange(trials) else { return trials.map { _ in nil } }
        return hypervolumeCurve(trials, worst: range.worst, best: range.best)
    }
}
