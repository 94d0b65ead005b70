import Foundation

extension Report {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Round tick values covering `low…high`.
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = []
        var value = (low / step).rounded(.up) * step
        while value <= high + step * 1e-9 {
            values.append(value)
            value += step
        }
        return values
    }

    /// An SVG frame: axes with ticks and labels; `x` and `y` map data to pixels.
    struct Frame {
        let width = 640.0, height = 320.0, left = 70.0, right = 20.0, top = 20.0, bottom = 50.0
        let xRange: (Double, Double)
        let yRange: (Double, Double)

        func x(_ value: Double) -> Double { left + (value - xRange.0) / max(xRange.1 - xRange.0, 1e-300) * (width - left - right) }
        func y(_ value: Double) -> Double { height - bottom - (value - yRange.0) / max(yRange.1 - yRange.0, 1e-300) * (height - top - bottom) }

        func axes(xLabel: String, yLabel: String, xTicks: [(Double, String)]? = nil) -> String {
            var svg = "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#333\"/>"
            svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#333\"/>"
            for value in Report.ticks(yRange.0, yRange.1) {
                let position = y(value)
                svg += "<line x1=\"\(left - 4)\" y1=\"\(position)\" x2=\"\(width - right)\" y2=\"\(position)\" stroke=\"#ddd\"/>"
                svg += "<text x=\"\(left - 8)\" y=\"\(position + 4)\" text-anchor=\"end\" font-size=\"11\">\(Report.number(value))</text>"
            }
            let horizontal = xTicks ?? Report.ticks(xRange.0, xRange.1).map { ($0, Report.number($0)) }
            for (value, label) in horizontal {
                let position = x(value)
                svg += "<line x1=\"\(position)\" y1=\"\(height - bottom)\" x2=\"\(position)\" y2=\"\(height - bottom + 4)\" stroke=\"#333\"/>"
                svg += "<text x=\"\(position)\" y=\"\(height - bottom + 17)\" text-anchor=\"middle\" font-size=\"11\">\(Report.escape(label))</text>"
            }
            svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"12\">\(Report.escape(xLabel))</text>"
            svg += "<text transform=\"translate(16 \((top + height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(Report.escape(yLabel))</text>"
            return svg
        }

        /// A legend of coloured entries in one corner of the plot area.
        func legend(_ entries: [(color: String, label: String)], right: Bool = true, bottom: Bool = true) -> String {
            var svg = ""
            let widest = Double(entries.map(\.label.count).max() ?? 0) * 6 + 24
            let x = right ? width - self.right - widest : left + 10
            for (index, entry) in entries.enumerated() {
                let row = bottom ? height - self.bottom - 12 - 16 * Double(entries.count - 1 - index) : top + 12 + 16 * Double(index)
                svg += "<rect x=\"\(x)\" y=\"\(row - 5)\" width=\"12\" height=\"3\" fill=\"\(entry.color)\"/>"
                svg += "<text x=\"\(x + 18)\" y=\"\(row)\" font-size=\"11\">\(Report.escape(entry.label))</text>"
            }
            return svg
        }

        func open(_ title: String) -> String {
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(Report.escape(title))\">"
        }
    }

    /// Best-so-far reward against evaluations: each agent's median over its runs, with the quartile band.
    static func curvePlot(_ group: Group) -> String {
        let agents = group.agents.filter { !$0.median.isEmpty }
        guard !agents.isEmpty else { return "<p>No rewarded trials.</p>" }
        let length = agents.map(\.median.count).max()!
        // The first evaluations are far below the rest; the vertical range starts at the lowest median a
        // tenth of the way in, and anything lower is drawn at the bottom edge.
        let skip = length / 10
        let high = agents.flatMap(\.upper).max()!
        let low = agents.compactMap { $0.median.count > skip ? $0.median[skip] : $0.median.last }.min()!
        // A little room above the best value, so curves that reach it stay visible under the frame's top.
        let yRange = low < high ? (low, high + 0.04 * (high - low)) : (low - 1, high + 1)
        let frame = Frame(xRange: (1, Double(max(length, 2))), yRange: yRange)
        func y(_ value: Double) -> Double { frame.y(max(value, yRange.0)) }
        let yLabel = group.rewardMeaning.map { "\(group.measure): \($0)" } ?? group.measure
        var svg = frame.open("\(group.measure) against evaluations") + frame.axes(xLabel: "evaluations", yLabel: yLabel)
        for (index, agent) in agents.enumerated() {
            let color = palette[index % palette.count]
            let upper = agent.upper.enumerated().map { "\(frame.x(Double($0.offset + 1))),\(y($0.element))" }
            let lower = agent.lower.enumerated().reversed().map { "\(frame.x(Double($0.offset + 1))),\(y($0.element))" }
            svg += "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.1\" stroke=\"none\"/>"
            let line = agent.median.enumerated().map { "\(frame.x(Double($0.offset + 1))),\(y($0.element))" }
            svg += "<polyline class=\"median\" data-agent=\"\(escape(agent.agent))\" points=\"\(line.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>"
        }
        // The legend sits bottom right, where rising curves are not.
        return svg + frame.legend(agents.enumerated().map { (palette[$0.offset % palette.count], "\($0.element.agent) (median, quartile band; \($0.element.runs.count) runs)") }) + "</svg>"
    }

    /// Final best reward over the runs of each agent (seeds × hyperparameter settings): box and whiskers
    /// (quartiles, median, minimum and maximum), every run a dot.
    static func lotteryPlot(_ group: Group) -> String {
        let agents = group.agents.filter { !$0.finals.isEmpty }
        guard !agents.isEmpty else { return "<p>No rewarded trials.</p>" }
        let values = agents.flatMap(\.finals)
        var low = values.min()!, high = values.max()!
        if low == high { (low, high) = (low - 1, high + 1) }
        let margin = 0.04 * (high - low)
        let frame = Frame(xRange: (0, Double(agents.count)), yRange: (low - margin, high + margin))
        let labels = agents.enumerated().map { (Double($0.offset) + 0.5, $0.element.agent) }
        let yLabel = group.rewardMeaning.map { "\(group.finalMeasure): \($0)" } ?? group.finalMeasure
        var svg = frame.open("\(group.finalMeasure) per agent over runs") + frame.axes(xLabel: "agent", yLabel: yLabel, xTicks: labels)
        for (index, agent) in agents.enumerated() {
            let color = palette[index % palette.count]
            let center = frame.x(Double(index) + 0.5), half = 0.25 * (frame.x(1) - frame.x(0))
            let f = agent.finals
            svg += "<line x1=\"\(center)\" y1=\"\(frame.y(f[0]))\" x2=\"\(center)\" y2=\"\(frame.y(f[4]))\" stroke=\"\(color)\"/>"
            svg += "<rect class=\"box\" data-agent=\"\(escape(agent.agent))\" x=\"\(center - half)\" y=\"\(frame.y(f[3]))\" width=\"\(2 * half)\" height=\"\(max(1, frame.y(f[1]) - frame.y(f[3])))\" fill=\"\(color)\" fill-opacity=\"0.25\" stroke=\"\(color)\"/>"
            svg += "<line x1=\"\(center - half)\" y1=\"\(frame.y(f[2]))\" x2=\"\(center + half)\" y2=\"\(frame.y(f[2]))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            for run in agent.runs {
                guard let final = run.final else { continue }
                svg += "<circle cx=\"\(center + half * 1.4)\" cy=\"\(frame.y(final))\" r=\"2.5\" fill=\"\(color)\"><title>experiment \(run.experiment): \(number(final))</title></circle>"
            }
        }
        return svg + "</svg>"
    }

    /// Each agent's Pareto front over all its runs, in the first two goals' units: the designs as dots and
    /// the boundary of what they dominate as a staircase.
    static func frontPlot(_ group: Group) -> String {
        guard let pareto = group.pareto, pareto.axes.count >= 2 else { return "" }
        let agents = group.agents.map(\.agent).filter { !(pareto.fronts[$0] ?? []).isEmpty }
        let points = agents.flatMap { pareto.fronts[$0]! }.map(\.values).filter { $0[0].isFinite && $0[1].isFinite }
        guard !points.isEmpty else { return "<p>No designs with every goal measured.</p>" }
        func padded(_ values: [Double]) -> (Double, Double) {
            let low = values.min()!, high = values.max()!
            let margin = high > low ? 0.05 * (high - low) : max(abs(low) * 0.05, 1)
            return (low - margin, high + margin)
        }
        let frame = Frame(xRange: padded(points.map { $0[0] }), yRange: padded(points.map { $0[1] }))
        let (x, y) = (pareto.axes[0], pareto.axes[1])
        func label(_ axis: ParetoSummary.Axis) -> String {
            "\(axis.metric)\(axis.unit.isEmpty || axis.unit == "1" ? "" : " (\(axis.unit))"), \(axis.goal == .minimize ? "lower" : "higher") is better"
        }
        var svg = frame.open("Pareto fronts") + frame.axes(xLabel: label(x), yLabel: label(y))
        for (index, agent) in agents.enumerated() {
            let color = palette[(group.agents.firstIndex { $0.agent == agent } ?? index) % palette.count]
            let front = pareto.fronts[agent]!.filter { $0.values[0].isFinite && $0.values[1].isFinite }
            // Agents often find the same front: earlier ones are drawn wider, so coinciding fronts show as
            // nested stripes rather than hiding one another.
            let layer = Double(agents.count - 1 - index)
            if pareto.axes.count == 2 {
                // Between neighbours the boundary runs level with the point that dominates that stretch:
                // along x first when lower x is better, else along y first.
                var corners: [String] = []
                for (position, point) in front.enumerated() {
                    if position > 0 {
                        let previous = front[position - 1]
                        corners.append(x.goal == .minimize ? "\(frame.x(point.values[0])),\(frame.y(previous.values[1]))"
                                                             : "\(frame.x(previous.values[0])),\(frame.y(point.values[1]))")
                    }
                    corners.append("\(frame.x(point.values[0])),\(frame.y(point.values[1]))")
                }
                svg += "<polyline class=\"front\" data-agent=\"\(escape(agent))\" points=\"\(corners.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(1.5 + 2 * layer)\"/>"
            }
            for point in front {
                svg += "<circle class=\"front-point\" cx=\"\(frame.x(point.values[0]))\" cy=\"\(frame.y(point.values[1]))\" r=\"\(3 + 1.5 * layer)\" fill=\"\(color)\">"
                    + "<title>experiment \(point.experiment), trial \(point.trial): \(escape(point.design))</title></circle>"
            }
        }
        // The legend goes in the corner worst for both goals, where no front is.
        let entries = agents.enumerated().map { index, agent in
            (palette[(group.agents.firstIndex { $0.agent == agent } ?? index) % palette.count], "\(agent) (\(pareto.fronts[agent]!.count) points)")
        }
        return svg + frame.legend(entries, right: x.goal == .minimize, bottom: y.goal == .maximize) + "</svg>"
    }

    /// Every plot as a standalone SVG file (white background, its own font), named by group and kind:
    /// `1-memorycontroller-v0-random-simulated_time-min-curves.svg`, `…-finals.svg`, `…-fronts.svg`.
    public var figures: [(name: String, svg: String)] {
        var files: [(name: String, svg: String)] = []
        for (index, group) in groups.enumerated() {
            let slug = "\(index + 1)-\(group.environment)-\(group.workload)-\(group.objective)".lowercased()
                .map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." ? String($0) : "-" }.joined()
            var plots = [("curves", Self.curvePlot(group)), ("finals", Self.lotteryPlot(group))]
            if group.pareto != nil { plots.append(("fronts", Self.frontPlot(group))) }
            for (kind, plot) in plots where plot.hasPrefix("<svg") {
                let opening = plot.range(of: ">")!.upperBound
                let svg = String(plot[..<opening]) + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
                    + "<style>text { font-family: system-ui, sans-serif; fill: #222; }</style>" + String(plot[opening...])
                files.append(("\(slug)-\(kind).svg", svg + "\n"))
            }
        }
        return files
    }

    /// One self-contained HTML page: no scripts, no fonts or files from the network.
    public var html: String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
            h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
            .plots { display: flex; flex-wrap: wrap; gap: 2em; }
            figure { margin: 0; } figcaption { font-size: 0.9em; color: #555; max-width: 640px; }
            table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            code { font-size: 0.85em; } td code { overflow-wrap: anywhere; }
            </style></head><body>
            <h1>\(Self.escape(title))</h1>

            """
        for group in groups {
            page += "<section class=\"group\"><h2>\(Self.escape(group.environment)) · \(Self.escape(group.workload)) · <code>\(Self.escape(group.objective))</code></h2>\n"
            let measured = group.pareto.map { "The hypervolume of each run's front so far, \(Self.hypervolumeDefinition($0)) " } ?? ""
            page += "<div class=\"plots\"><figure>\(Self.curvePlot(group))<figcaption>\(Self.escape(measured))\(group.pareto == nil ? "Best reward so far" : "It is plotted") against evaluations: the median over each agent's runs, with the band between the quartiles.</figcaption></figure>\n"
            page += "<figure>\(Self.lotteryPlot(group))<figcaption>The hyperparameter lottery: each agent's \(group.finalMeasure) over its runs (seeds × settings) — box from quartile to quartile, line at the median, whiskers to the extremes, a dot per run.</figcaption></figure>\n"
            if let pareto = group.pareto {
                page += "<figure>\(Self.frontPlot(group))<figcaption>Pareto fronts: the designs no other design of the same agent dominates, over all its runs\(pareto.axes.count > 2 ? ", projected onto the first two of \(pareto.axes.count) goals" : ""). Hover a dot for its experiment, trial and design.</figcaption></figure>\n"
            }
            page += "</div>\n<table class=\"agents\"><tr>" + Self.agentColumns(group).map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr>\n"
            for agent in group.agents {
                page += "<tr>" + Self.agentCells(agent, in: group).map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n"
            }
            page += "</table>\n<h3>\(group.pareto == nil ? "Best designs" : "Designs along the Pareto front of all runs")</h3><table class=\"best\"><tr><th>\(group.pareto == nil ? "reward" : "goals")</th><th>experiment</th><th>agent</th><th>design</th><th>metrics</th></tr>\n"
            for best in group.best {
                page += "<tr><td>\(Self.escape(best.score))</td><td>\(best.experiment)</td><td>\(Self.escape(best.agent))</td><td><code>\(Self.escape(best.design))</code></td><td>\(Self.escape(best.metrics))</td></tr>\n"
            }
            page += "</table>\n<h3>Runs</h3><table class=\"runs\"><tr><th>experiment</th><th>agent</th><th>hyperparameters</th><th>seed</th><th>trials</th><th>final</th><th>details</th></tr>\n"
            for agent in group.agents {
                for run in agent.runs {
                    page += "<tr><td>\(run.experiment)</td><td>\(Self.escape(run.agent))</td><td><code>\(Self.escape(run.hyperparameters))</code></td><td>\(run.seed)</td><td>\(run.trials)</td><td>\(run.final.map(Self.number) ?? "—")</td><td><code>gym show \(run.experiment)</code></td></tr>\n"
                }
            }
            page += "</table></section>\n"
        }
        return page + "</body></html>\n"
    }
}
