import Foundation
import GymCore
@testable import GymStore

/// A small environment spec for store tests: two parameters, two metrics.
let fixtureSpec = EnvironmentSpec(
    id: "Fixture-v2", summary: "store fixture",
    space: ParameterSpace([.categorical("mode", ["fast", "slow"]), .integer("size", 1...64), .real("gain", 0...1)]),
    metrics: [MetricSpec(name: "latency", unit: "ns", goal: .minimize), MetricSpec(name: "power", unit: "mW", goal: .minimize)],
    workloads: [WorkloadSpec(name: "w1", summary: "")], workload: "w1", defaultObjective: .metric("latency", .minimize))

/// A fresh database file in its own temporary folder (tests run in parallel).
func temporaryDatabasePath(_ label: String = #function) -> String {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("designgym-tests-\(UUID().uuidString)", isDirectory: true)
    return folder.appendingPathComponent("\(label.filter(\.isLetter)).sqlite").path
}

func fixtureRecord(seed: UInt64 = 7) -> ExperimentRecord {
    ExperimentRecord(name: "fixture", environmentSpec: fixtureSpec, environmentOptions: EnvironmentOptions(workload: "w1", seed: 3),
                     objective: .metric("latency", .minimize), agentID: "random", hyperparameters: Design(["feasible_only": "false"]),
                     seed: seed, budgetEvaluations: 10, budgetSeconds: nil, batchSize: 2, parallelism: 1, usesCache: true,
                     host: "test-host", softwareVersion: DesignGym.version)
}

func fixtureTrial(_ number: Int, status: EvaluationStatus = .ok) -> Trial {
    let design = Design(["mode": number % 2 == 0 ? "fast" : "slow", "size": .int(number + 1), "gain": .double(Double(number) / 10)])
    let evaluation = status == .ok
        ? Evaluation(metrics: ["latency": Double(10 + number), "power": 2.5], wallTime: 0.01, details: ["note": .string("n\(number)")])
        : .unsuccessful(status, message: "did not run, because, \"reasons\"")
    let reward = status == .ok ? -Double(10 + number) : nil
    return Trial(number: number, design: design, evaluation: evaluation, reward: reward,
                 startedAt: Date(timeIntervalSince1970: 1_700_000_000), finishedAt: Date(timeIntervalSince1970: 1_700_000_001.25))
}
