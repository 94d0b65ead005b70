import Foundation
import GymCatalog
import GymCore
import GymStore
import Testing
@testable import Experiments

@Suite struct ReportTests {
    @Test func quantilesInterpolateBetweenOrderStatistics() {
        // [1, 2, 3, 4]: the lower quartile sits a quarter of the way from 1 to 4 in rank, 1 + 0.75·(2 − 1).
        #expect(Report.quantile([4, 1, 3, 2], 0.25) == 1.75)
        #expect(Report.quantile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(Report.quantile([7], 0.9) == 7)
        #expect(Report.ticks(0, 10) == [0, 2, 4, 6, 8, 10])
    }

    @Test func aReportHoldsWhatTheTrialsSay() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let sweep = try JSONDecoder().decode(SweepFile.self, from: Data(#"{"name": "rep", "budget": 15, "seeds": 3, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "random"}, {"id": "genetic"}]}"#.utf8))
        try SweepRunner(registry: Catalog.registry, store: store).run(try sweep.expand(registry: Catalog.registry), jobs: 2)
        let records = try store.experiments()
        let report = try Report(store: store, experiments: records, title: "test")
        #expect(report.groups.count == 1)
        let group = report.groups[0]
        #expect(group.agents.map(\.agent) == ["genetic", "random"])
        // Each run's final is the best reward among its trials; the target is the median of all finals.
        var finals: [Double] = []
        for agent in group.agents {
            #expect(agent.runs.count == 3)
            for run in agent.runs {
                let best = try store.trials(experiment: run.experiment).compactMap(\.reward).max()!
                #expect(run.final == best && run.curve.count == 15)
                finals.append(best)
            }
            let own = agent.runs.compactMap(\.final).sorted()
            #expect(agent.finals == [own[0], (own[0] + own[1]) / 2, own[1], (own[1] + own[2]) / 2, own[2]])
        }
        let target = finals.sorted()[finals.count / 2 - 1...finals.count / 2].reduce(0, +) / 2
        #expect(group.target == target)
        // Evaluations to the target: the first evaluation whose best-so-far reaches it, median over the runs that do.
        for agent in group.agents {
            let reached = agent.runs.compactMap { run in run.curve.firstIndex { ($0 ?? -.infinity) >= target }.map { Double($0 + 1) } }
            #expect(agent.reachedTarget == reached.count)
            #expect(agent.evaluationsToTarget == (reached.isEmpty ? nil : Report.quantile(reached, 0.5)))
        }
        // The pages hold a curve and a box per agent, every run, and nothing from the network.
        let html = report.html
        #expect(html.components(separatedBy: "<polyline class=\"median\"").count - 1 == 2)
        #expect(html.components(separatedBy: "<rect class=\"box\"").count - 1 == 2)
        #expect(records.allSatisfy { html.contains("gym show \($0.id!)") })
        #expect(!html.contains("<script") && html.components(separatedBy: "http").count - 1 == 2)  // the two SVG namespaces
        let markdown = report.markdown
        #expect(markdown.contains("| genetic | 3 |") && markdown.contains("| random | 3 |"))
        // The reward axes say what the reward is: Branin's value, minimised.
        #expect(group.rewardMeaning == "−value" && html.contains("best reward so far: −value"))
        // Standalone figures: the curves and the lottery, each a whole SVG on white.
        #expect(report.figures.map(\.name) == ["1-branin-v0-default-value-min-curves.svg", "1-branin-v0-default-value-min-finals.svg"])
        #expect(report.figures.allSatisfy { $0.svg.hasPrefix("<svg") && $0.svg.contains("fill=\"white\"") && $0.svg.hasSuffix("</svg>\n") })
    }

    @Test func aParetoReportMeasuresHypervolumeAndDrawsFronts() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let sweep = try JSONDecoder().decode(SweepFile.self, from: Data(#"{"name": "front", "budget": 40, "seeds": 2, "environments": [{"id": "ZDT1-v0"}], "agents": [{"id": "random"}, {"id": "genetic"}]}"#.utf8))
        try SweepRunner(registry: Catalog.registry, store: store).run(try sweep.expand(registry: Catalog.registry), jobs: 2)
        let records = try store.experiments()
        let report = try Report(store: store, experiments: records, title: "fronts")
        let group = try #require(report.groups.first)
        let pareto = try #require(group.pareto)
        #expect(pareto.axes.map(\.metric) == ["f1", "f2"] && pareto.axes.allSatisfy { $0.goal == .minimize })
        let all = try records.flatMap { try store.trials(experiment: $0.id!) }
        // The normalisation spans the rewards of every trial of the group.
        #expect(pareto.worst == [0, 1].map { k in all.compactMap(\.rewards).map { $0[k] }.min()! })
        #expect(pareto.best == [0, 1].map { k in all.compactMap(\.rewards).map { $0[k] }.max()! })
        for agent in group.agents {
            for run in agent.runs {
                let trials = try store.trials(experiment: run.experiment)
                // The final measure is the hypervolume of all the run's trials at once, computed directly:
                // rewards scaled to 0…1, reference −0.1, divided by 1.1².
                let points = trials.compactMap(\.rewards).map { Report.normalised($0, worst: pareto.worst, best: pareto.best) }
                let direct = Pareto.hypervolume(points, reference: [-0.1, -0.1]) / 1.21
                #expect(abs(run.final! - direct) < 1e-12)
                // Hypervolume never falls, and stays within the box.
                let curve = run.curve.compactMap { $0 }
                #expect(curve.count == 40 && zip(curve, curve.dropFirst()).allSatisfy { $0 <= $1 } && curve.allSatisfy { $0 > 0 && $0 <= 1 })
            }
            // The agent's front: no trial of the agent dominates any of its points.
            let own = try agent.runs.flatMap { try store.trials(experiment: $0.experiment) }.compactMap(\.rewards)
            let front = try #require(pareto.fronts[agent.agent])
            #expect(!front.isEmpty)
            for point in front {
                // ZDT1 minimises f1 and f2, so the rewards are the negated metrics.
                let rewards = point.values.map { -$0 }
                #expect(!own.contains { Pareto.dominates($0, rewards) })
            }
        }
        // The designs listed are distinct points of the whole group's front, ten at most.
        let vectors = all.compactMap(\.rewards)
        let groupFront = Set(Pareto.nonDominatedIndices(vectors).map { vectors[$0].description }).count
        #expect(group.best.count == min(10, groupFront) && Set(group.best.map(\.score)).count == group.best.count)
        let html = report.html
        #expect(html.components(separatedBy: "<polyline class=\"front\"").count - 1 == 2)
        #expect(html.components(separatedBy: "<circle class=\"front-point\"").count - 1 == group.agents.map { pareto.fronts[$0.agent]!.count }.reduce(0, +))
        #expect(html.contains("hypervolume so far (normalised)") && html.contains("f1, lower is better"))
        #expect(report.markdown.contains("| final hypervolume, median |"))
        #expect(report.figures.map { $0.name.components(separatedBy: "-").last! } == ["curves.svg", "finals.svg", "fronts.svg"])
    }
}

