import Foundation
import GymCatalog
import GymCore
import GymStore
import Testing
@testable import Experiments

@Suite struct SweepTests {
    static func sweep(_ json: String) throws -> SweepFile {
        try JSONDecoder().decode(SweepFile.self, from: Data(json.utf8))
    }

    static let example = """
        {"name": "t", "budget": 12, "seeds": 3,
         "environments": [{"id": "Branin-v0"}, {"id": "ZDT1-v0"}],
         "objectives": ["default"],
         "agents": [{"id": "random"}, {"id": "genetic", "grid": {"population": [8, 16], "elites": [1, 2]}}, {"id": "ant-colony", "samples": 2}]}
        """

    @Test func expansionIsTheProductOfItsAxesWithOneBudget() throws {
        let runs = try Self.sweep(Self.example).expand(registry: Catalog.registry)
        // 2 environments × 1 objective × (1 + 2·2 + 2 settings) × 3 seeds = 42 runs.
        #expect(runs.count == 2 * 1 * (1 + 4 + 2) * 3)
        #expect(runs.allSatisfy { $0.configuration.budget.evaluations == 12 && $0.configuration.budget.seconds == nil })
        #expect(Set(runs.map(\.key)).count == runs.count)
        #expect(try Self.sweep(Self.example).expand(registry: Catalog.registry).map(\.key) == runs.map(\.key))
        // A preset is the agent's registered grid.
        let preset = try Self.sweep(#"{"name": "p", "budget": 5, "seeds": [4], "environments": [{"id": "Branin-v0"}], "agents": [{"id": "genetic", "preset": "archgym"}]}"#)
            .expand(registry: Catalog.registry)
        #expect(preset.count == (try Catalog.registry.agent("genetic").settings(ofGrid: "archgym")!.count))
        #expect(preset.allSatisfy { $0.configuration.seed == 4 })
        // A preset with samples: that many distinct settings of the grid, the same on every expansion.
        let sampledText = #"{"name": "s", "budget": 5, "seeds": 2, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "genetic", "preset": "archgym", "samples": 5}]}"#
        let sampled = try Self.sweep(sampledText).expand(registry: Catalog.registry)
        let settings = Set(sampled.map { Design($0.configuration.hyperparameters).canonicalJSON })
        let grid = Set(try Catalog.registry.agent("genetic").settings(ofGrid: "archgym")!.map { Design($0).canonicalJSON })
        #expect(sampled.count == 5 * 2 && settings.count == 5 && settings.isSubset(of: grid))
        #expect(try Self.sweep(sampledText).expand(registry: Catalog.registry).map(\.key) == sampled.map(\.key))
        // Options are text, written as numbers, flags or strings alike: the same runs.
        let written = #"{"name": "o", "budget": 5, "seeds": 1, "environments": [{"id": "Branin-v0", "options": {"delay": 0.5}}], "agents": [{"id": "random"}]}"#
        let quoted = written.replacingOccurrences(of: "0.5", with: "\"0.5\"")
        #expect(try Self.sweep(written).environments[0].options == ["delay": "0.5"])
        #expect(try Self.sweep(written).expand(registry: Catalog.registry).map(\.key) == Self.sweep(quoted).expand(registry: Catalog.registry).map(\.key))
    }

    /// The error a sweep file gets when expanded, or "accepted".
    func message(_ json: String) -> String {
        do {
            _ = try Self.sweep(json).expand(registry: Catalog.registry)
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    @Test func badSweepsSayWhatIsWrong() throws {
        let base = #""name": "x", "budget": 5, "seeds": 1, "environments": [{"id": "Branin-v0"}]"#
        #expect(message("{\(base), \"agents\": [{\"id\": \"genetic\", \"grid\": {\"size\": [1]}}]}").contains("unknown parameter 'size'"))
        #expect(message("{\(base), \"agents\": [{\"id\": \"genetic\", \"preset\": \"nope\"}]}").contains("has no preset 'nope'; it has: archgym"))
        #expect(message("{\(base), \"agents\": [{\"id\": \"nobody\"}]}").contains("nobody"))
        #expect(message("{\(base), \"agents\": [{\"id\": \"genetic\", \"grid\": {\"population\": [4]}, \"samples\": 2}]}").contains("not a grid with either"))
        #expect(message("{\(base), \"agents\": [{\"id\": \"genetic\", \"preset\": \"archgym\", \"samples\": 0}]}").contains("samples must be at least 1"))
        #expect(message("{\(base), \"objectives\": [\"speed:max\"], \"agents\": [{\"id\": \"random\"}]}").contains("objective 'speed:max'"))
        #expect(message("{\(base), \"agents\": [{\"id\": \"random\"}, {\"id\": \"random\"}]}").contains("two runs of the sweep are the same"))
        #expect(message(#"{"name": "x", "budget": 0, "seeds": 1, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "random"}]}"#).contains("budget"))
    }

    @Test func unknownKeysAreNamedWithWhatWasMeant() throws {
        func keysMessage(_ json: String) -> String {
            do {
                try SweepFile.checkKeys(try JSONSerialization.jsonObject(with: Data(json.utf8)))
                return "accepted"
            } catch {
                return String(describing: error)
            }
        }
        #expect(keysMessage(#"{"name": "x", "budjet": 5}"#).contains("unknown key 'budjet' at the top (did you mean 'budget'?)"))
        #expect(keysMessage(#"{"environments": [{"id": "Branin-v0"}, {"id": "Branin-v0", "workload": "a"}]}"#)
            .contains("unknown key 'workload' in environment 2 (did you mean workloads (a list)?)"))
        #expect(keysMessage(#"{"agents": [{"id": "genetic", "hyperparameters": {"population": 8}}]}"#)
            .contains("unknown key 'hyperparameters' in agent 1 (did you mean grid"))
        #expect(keysMessage(#"{"name": "x", "colour": "red"}"#) == "invalid sweep: unknown key 'colour' at the top; the keys there are: name, budget, seeds, environments, objectives, agents")
        #expect(keysMessage(Self.example) == "accepted")
    }

    @Test func sweepsBeyondTheRunLimitAreRefusedBeforeTheyExpand() throws {
        // 10^8 seeds would once be expanded one by one.
        let started = Date()
        #expect(message(#"{"name": "x", "budget": 5, "seeds": 100000000, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "random"}]}"#)
            .contains("expands to 100000000 runs; the limit is 10000"))
        // A grid of 10 × 10 × 10 settings over 11 seeds: 11,000.
        let grid = #"{"population_size": [1,2,3,4,5,6,7,8,9,10], "mutation_rate": [1,2,3,4,5,6,7,8,9,10], "elites": [1,2,3,4,5,6,7,8,9,10]}"#
        #expect(message(#"{"name": "x", "budget": 5, "seeds": 11, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "genetic", "grid": \#(grid)}]}"#)
            .contains("expands to 11000 runs"))
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func aResumedSweepRunsOnlyWhatIsMissing() throws {
        let store = try TrajectoryStore(path: temporaryDatabasePath())
        let runs = try Self.sweep(#"{"name": "r", "budget": 10, "seeds": 2, "environments": [{"id": "Branin-v0"}], "agents": [{"id": "random"}, {"id": "random-walker"}]}"#)
            .expand(registry: Catalog.registry)
        let runner = SweepRunner(registry: Catalog.registry, store: store)
        // Half the sweep, as if it had been stopped there.
        let first = try runner.run(Array(runs.prefix(2)), jobs: 2)
        #expect(first.done == 2 && first.failed == 0)
        // One of those is marked interrupted, as a crash mid-run would leave it.
        let interrupted = try store.experiments().first { $0.name == runs[1].experimentName }!
        try store.finishExperiment(interrupted.id!, status: .interrupted, elapsed: 0)
        let plan = try runner.plan(runs)
        #expect(plan.complete.map(\.key) == [runs[0].key])
        #expect(plan.resume.map(\.0.key) == [runs[1].key] && plan.resume[0].1 == interrupted.id)
        #expect(plan.start.map(\.key) == [runs[2].key, runs[3].key])
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var all: [String] = []
        }
        let collected = Lines()
        let status = try runner.run(runs, jobs: 1) { _, line in collected.lock.withLock { collected.all.append(line) } }
        let lines = collected.all
        #expect(status.done == 4 && status.skipped == 1 && status.failed == 0)
        #expect(lines.count == 3 && lines[0].hasPrefix("resumed") && lines.dropFirst().allSatisfy { $0.hasPrefix("ran") })
        // Every run is stored once, complete, with its full budget; nothing is left to do.
        let records = try store.experiments()
        #expect(records.count == 4 && records.allSatisfy { $0.status == .completed })
        #expect(try records.allSatisfy { try store.trialCount(experiment: $0.id!) == 10 })
        #expect(try runner.plan(runs).complete.count == 4)
    }
}
