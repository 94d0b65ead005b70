import GymCatalog
import GymCore
import GymTestSupport
import Testing

@Suite struct ConformanceTests {
    @Test(arguments: Catalog.registry.environments.map(\.id))
    func everyEnvironmentConforms(_ id: String) throws {
        let issues = EnvironmentConformance.check(try Catalog.registry.environment(id))
        #expect(issues.isEmpty, "\(issues.map(\.description).joined(separator: "\n"))")
    }

    @Test(arguments: Catalog.registry.agents.map(\.id))
    func everyAgentConformsOnEveryEnvironment(_ id: String) throws {
        let agent = try Catalog.registry.agent(id)
        for entry in Catalog.registry.environments {
            let issues = AgentConformance.check(agent, on: try entry.make(EnvironmentOptions()))
            #expect(issues.isEmpty, "\(issues.map(\.description).joined(separator: "\n"))")
        }
    }

    // The checkers must be able to fail: each broken twin below breaks one rule.

    struct Flaky: Environment, @unchecked Sendable {
        var spec = EnvironmentSpec(
            id: "Flaky-v0", summary: "", space: ParameterSpace([.integer("x", 0...3)]),
            metrics: [MetricSpec(name: "y", unit: "1", goal: .minimize)], workloads: [WorkloadSpec(name: "default", summary: "")],
            workload: "default", defaultObjective: .metric("y", .minimize))
        let counter = Box()
        var extraMetric = false
        var acceptsAnything = false
        func evaluate(_ design: Design) throws -> Evaluation {
            if !acceptsAnything { _ = try spec.space.validate(design) }
            counter.value += 1
            var metrics = ["y": Double(counter.value)]  // a different answer every call
            if extraMetric { metrics["z"] = 1 }
            return Evaluation(metrics: metrics)
        }
        final class Box: @unchecked Sendable { var value = 0 }
    }

    @Test func theEnvironmentCheckerCatchesBrokenEnvironments() {
        let nondeterministic = EnvironmentConformance.check(EnvironmentEntry(id: "Flaky-v0", summary: "") { _ in Flaky() })
        #expect(nondeterministic.contains { $0.check == "a deterministic environment repeats itself" })
        #expect(nondeterministic.contains { $0.check == "unknown workloads are rejected" })

        let undeclared = EnvironmentConformance.check(EnvironmentEntry(id: "Flaky-v0", summary: "") { _ in
            var environment = Flaky()
            environment.extraMetric = true
            return environment
        })
        #expect(undeclared.contains { $0.check == "ok evaluations report the declared metrics" })

        let permissive = EnvironmentConformance.check(EnvironmentEntry(id: "Flaky-v0", summary: "") { _ in
            var environment = Flaky()
            environment.acceptsAnything = true
            return environment
        })
        #expect(permissive.contains { $0.check == "invalid designs are rejected" })

        let misnamed = EnvironmentConformance.check(EnvironmentEntry(id: "Other-v1", summary: "") { _ in Flaky() })
        #expect(misnamed.contains { $0.check == "spec id matches registry id" })
    }

    final class Forgetful: Agent {
        let space: ParameterSpace
        var generator: SeededGenerator
        init(space: ParameterSpace, seed: UInt64) {
            self.space = space
            generator = SeededGenerator(seed: seed)
        }
        func suggest(_ count: Int) throws -> [Design] { (0..<count).map { _ in space.sample(using: &generator) } }
        func observe(_ trials: [Trial]) throws {}
        func checkpoint() throws -> Data { Data() }  // forgets its generator
        func restore(_ checkpoint: Data) throws { generator = SeededGenerator(seed: 0) }
    }

    @Test func theAgentCheckerCatchesAgentsThatCannotBeRestored() throws {
        let entry = AgentEntry(id: "forgetful", summary: "", hyperparameters: ParameterSpace([])) {
            Forgetful(space: $0.space, seed: $0.seed)
        }
        let issues = AgentConformance.check(entry, on: try Catalog.registry.makeEnvironment("Ackley-v0"))
        #expect(issues.contains { $0.check == "restored checkpoint suggests the same" })
    }
}

import Foundation
