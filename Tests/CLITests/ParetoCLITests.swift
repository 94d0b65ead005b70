import Foundation
import GymCore
import GymStore
import Testing

/// A Pareto run in the command line: the front and its hypervolume, never the first goal alone; `gym show
/// --json`; `gym check` leaving out what needs training unless named.
@Suite struct ParetoCLITests {
    @Test func runAndShowPrintTheFrontSortedWithItsHypervolume() throws {
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--env", "ZDT1-v0", "--agent", "random", "--budget", "40", "--objective", "pareto:f1:min,f2:min",
                                      "--db", db, "--progress", "none"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("Pareto front (pareto:f1:min,f2:min):") && run.output.contains("hypervolume"), "\(run.output)")
        #expect(!run.output.contains("Best reward"))
        #expect(run.output.contains("f1 (min)") && run.output.contains("f2 (min)"))

        let shown = try GymProcess.run(["show", "1", "--db", db, "--json"])
        #expect(shown.status == 0, "\(shown.error)")
        guard case .object(let fields) = try JSONValue.parse(Data(shown.output.utf8)), case .array(let front)? = fields["front"],
              case .number(let hypervolume)? = fields["hypervolume"], case .array(let curve)? = fields["curve"] else {
            Issue.record("no front, hypervolume or curve in \(shown.output)")
            return
        }
        // The front is the non-dominated trials, one per point, sorted along f1 (best, the lowest, first);
        // along it f2 must then rise: no point of a front is beaten on both goals.
        let trials = try TrajectoryStore(path: db, access: .readOnly).trials(experiment: 1)
        let points = front.compactMap { point -> (Double, Double)? in
            guard case .object(let trial) = point, case .object(let metrics)? = trial["metrics"],
                  case .number(let f1)? = metrics["f1"], case .number(let f2)? = metrics["f2"] else { return nil }
            return (f1, f2)
        }
        #expect(!points.isEmpty && points.count == front.count)
        for (a, b) in zip(points, points.dropFirst()) { #expect(a.0 < b.0 && a.1 > b.1, "\(a) then \(b)") }
        for trial in trials {
            let f1 = trial.evaluation.metrics["f1"]!, f2 = trial.evaluation.metrics["f2"]!
            #expect(!points.contains { $0.0 > f1 && $0.1 > f2 }, "a front point is dominated by trial \(trial.number)")
        }
        // A hypervolume in (0, 1] that the curve ends at and never falls along.
        #expect(hypervolume > 0 && hypervolume <= 1)
        let values = curve.compactMap { if case .number(let value) = $0 { return value } else { return nil } }
        #expect(values.last == hypervolume && zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })

        let text = try GymProcess.run(["show", "1", "--db", db])
        #expect(text.output.contains("Pareto front: \(front.count) design(s), hypervolume") && text.output.contains("Hypervolume so far"), "\(text.output)")
        let list = try GymProcess.run(["show", "--db", db, "--json"])
        #expect(list.status == 0 && list.output.hasPrefix("[") && list.output.contains("\"front_size\":\(front.count)"), "\(list.output)")
    }

    @Test func singleObjectiveTablesCarryTheirUnits() throws {
        let db = GymProcess.databasePath()
        let run = try GymProcess.run(["run", "--env", "NASBench201-v0", "--agent", "random", "--budget", "5", "--db", db, "--progress", "none"])
        #expect(run.status == 0, "\(run.error)")
        let shown = try GymProcess.run(["show", "1", "--db", db])
        #expect(shown.output.contains("latency_ms (ms)") || shown.output.contains("(ms)"), "\(shown.output)")
    }

    @Test func checkLeavesOutWhatTrainsUnlessNamedAndChecksAnAgentOnTheEnvironmentNamed() throws {
        let agentOnly = try GymProcess.run(["check", "random-walker"])
        #expect(agentOnly.status == 0, "\(agentOnly.output)")
        #expect(agentOnly.output.contains("skip  Supernet-v1: it trains its supernet on first use"), "\(agentOnly.output)")
        #expect(!agentOnly.output.contains("random-walker on Supernet-v1") && agentOnly.output.contains("ok    random-walker on Branin-v0"))
        #expect(agentOnly.error.contains("checking random-walker on Branin-v0"), "\(agentOnly.error)")
        let pair = try GymProcess.run(["check", "Knapsack-v0", "random-walker", "--samples", "4"])
        #expect(pair.status == 0, "\(pair.output)")
        let lines = pair.output.split(separator: "\n").map(String.init)
        #expect(lines == ["ok    Knapsack-v0", "ok    random-walker on Knapsack-v0"], "\(lines)")
    }
}
