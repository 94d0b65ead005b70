import Dispatch
import Foundation
import GymCore

/// Counts committed trials and tells the progress observer; called from the writer's thread.
final class ProgressTracker: @unchecked Sendable {
    private let lock = NSLock()
    private let experimentID: Int64
    private let total: Int?
    private let start: UInt64
    private let completedBefore: Int
    private let budgetSeconds: Double?
    private let elapsedBefore: Double
    private let observer: @Sendable (ExperimentProgress) -> Void
    private var completedNow = 0
    private var best: Double?
    private var cacheHits = 0
    private var unsuccessful = 0

    init(experimentID: Int64, total: Int?, budgetSeconds: Double?, elapsedBefore: Double, start: UInt64, completedBefore: Int,
         best: Double?, observer: @escaping @Sendable (ExperimentProgress) -> Void) {
        self.budgetSeconds = budgetSeconds
        self.elapsedBefore = elapsedBefore
        self.experimentID = experimentID
        self.total = total
        self.start = start
        self.completedBefore = completedBefore
        self.best = best
        self.observer = observer
    }

    func committed(_ trials: [Trial]) {
        lock.lock()
        for trial in trials {
            completedNow += 1
            if trial.cached { cacheHits += 1 }
            if trial.evaluation.status != .ok { unsuccessful += 1 }
            if Objective.isBetter(trial.reward, than: best) { best = trial.reward }
        }
        let snapshot = makeSnapshot()
        lock.unlock()
        observer(snapshot)
    }

    func snapshot() -> ExperimentProgress {
        lock.lock()
        defer { lock.unlock() }
        return makeSnapshot()
    }

    private func makeSnapshot() -> ExperimentProgress {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let completed = completedBefore + completedNow
        let rate = elapsed > 0 ? Double(completedNow) / elapsed : 0
        // Whichever budget runs out first decides the time left.
        let byCount = total.flatMap { total in rate > 0 ? Double(max(total - completed, 0)) / rate : nil }
        let byClock = budgetSeconds.map { max($0 - elapsedBefore - elapsed, 0) }
        let remaining = [byCount, byClock].compactMap { $0 }.min()
        return ExperimentProgress(experimentID: experimentID, completed: completed, total: total, bestReward: best,
                                  elapsed: elapsed, rate: rate, remaining: remaining, cacheHits: cacheHits,
                                  unsuccessful: unsuccessful)
    }
}
