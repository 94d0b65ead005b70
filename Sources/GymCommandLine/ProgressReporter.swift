import ArgumentParser
import Foundation
import Experiments

/// How `gym run` shows progress.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    /// A live status line on a terminal; otherwise a line at every tenth of the budget.
    case auto
    /// A live status line, rewritten in place.
    case bar
    /// A line at every tenth of the budget (or every 30 s without an evaluation budget).
    case lines
    /// One JSON object per committed batch on standard output, for scripts.
    case jsonl
    /// Nothing until the end.
    case none
}

/// Prints progress to standard error (or JSON Lines to standard output) without flooding logs.
final class ProgressReporter: @unchecked Sendable {
    private let style: ProgressStyle
    private let lock = NSLock()
    private var lastPrinted = 0.0
    private var lastDecile = -1
    private var drewLine = false

    init(style: ProgressStyle) {
        if style == .auto {
            self.style = isatty(STDERR_FILENO) == 1 ? .bar : .lines
        } else {
            self.style = style
        }
    }

    func update(_ progress: ExperimentProgress) {
        lock.lock()
        defer { lock.unlock() }
        let done = progress.total.map { progress.completed >= $0 } ?? false
        switch style {
        case .bar:
            guard progress.elapsed - lastPrinted >= 0.1 || done else { return }
            lastPrinted = progress.elapsed
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.line(progress)).utf8))
            drewLine = true
        case .lines:
            let decile = progress.total.map { $0 > 0 ? progress.completed * 10 / $0 : 10 } ?? Int(progress.elapsed / 30)
            guard decile > lastDecile else { return }
            lastDecile = decile
            FileHandle.standardError.write(Data((Self.line(progress) + "\n").utf8))
        case .jsonl:
            let best = progress.bestReward.map { String($0) } ?? "null"
            let text = "{\"best_reward\":\(best),\"completed\":\(progress.completed),\"experiment\":\(progress.experimentID),\"total\":\(progress.total.map(String.init) ?? "null")}\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        case .none, .auto:
            return
        }
    }

    /// Ends the live line so later output starts on a fresh line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
        drewLine = false
    }

    static func line(_ progress: ExperimentProgress) -> String {
        let count = progress.total.map { "\(progress.completed)/\($0)" } ?? "\(progress.completed)"
        var parts = ["experiment \(progress.experimentID)", "\(count) evaluations", "best \(formatNumber(progress.bestReward))",
                     String(format: "%.1f/s", progress.rate)]
        if let remaining = progress.remaining { parts.append("\(formatDuration(remaining)) left") }
        if progress.cacheHits > 0 { parts.append("\(progress.cacheHits) cached") }
        if progress.unsuccessful > 0 { parts.append("\(progress.unsuccessful) not ok") }
        return parts.joined(separator: " · ")
    }
}

/// "0.4 s", "1 m 05 s", "2 h 03 m".
func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return String(format: "%d m %02d s", whole / 60, whole % 60) }
    return String(format: "%d h %02d m", whole / 3600, whole % 3600 / 60)
}

/// Reads "90", "90s", "10m" or "2h" as seconds.
func parseDuration(_ text: String) throws -> Double {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    var body = Substring(text)
    var scale = 1.0
    if let last = body.last, let unit = units[last] {
        scale = unit
        body = body.dropLast()
    }
    guard let value = Double(body), value > 0, value.isFinite else {
        throw CLIError("--time-limit expects a positive duration such as 90, 90s, 10m or 2h, got '\(text)'")
    }
    return value * scale
}
