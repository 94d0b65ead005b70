import ArgumentParser
import Foundation
import GymCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate one design and print its metrics as JSON.",
        discussion: """
            Parameters left out of the design take their defaults (listed in `gym describe`). Exits 0 when the \
            evaluation's status is ok, 2 when it is infeasible, failed or timeout (the JSON says why), 1 on an error.
            Examples:
              gym evaluate Branin-v0 --design '{"x1": 3.14159, "x2_steps": 91, "variant": "standard"}'
              gym evaluate Knapsack-v0 --design design.json --objective value:max
              gym evaluate Accelerator-v0 --workload resnet18 \\
                  --design '{"num_pes": 224, "dataflow": "weight-stationary"}'
              gym evaluate Accelerator-v0 --option architecture=arch.json \\
                  --option mapping=map.json --workload net.json
              gym evaluate MemoryController-v0 --workload trace.stl \\
                  --option memspec=memspec.json --option addressmapping=am.json \\
                  --design mcconfig.json
            """)

    @Argument(help: "Environment id (see `gym list`).")
    var environment: String

    @Option(help: "The design: a JSON object of parameter values, or the path of a file holding one (default: every parameter at its default).")
    var design: String = "{}"

    @Option(parsing: .unconditional, help: "Seed of any randomness inside the environment.")
    var seed: UInt64 = 0

    @OptionGroup var selection: EnvironmentSelection
    @OptionGroup var objectiveSelection: ObjectiveSelection

    func run() throws {
        let (output, status) = try reportingErrors { () -> (String, EvaluationStatus) in
            let environment = try CommandLineRegistry.current.makeEnvironment(environment, options: try selection.environmentOptions(seed: seed))
            let spec = environment.spec
            let objective = try objectiveSelection.objective(for: spec)
            let parsed = try environment.design(fromJSON: try readDesignText(design))
            let canonical = try spec.space.design(from: parsed.values, fillingDefaults: true)
            let evaluation = environment.measure(canonical)
            struct Report: Encodable {
                var environment: String
                var workload: String
                var design: Design
                var designHash: String
                var status: EvaluationStatus
                var metrics: [String: Double]
                var units: [String: String]
                var objective: String
                var reward: Double?
                var wallTime: Double
                var message: String?
                var details: [String: JSONValue]
                enum CodingKeys: String, CodingKey {
                    case environment, workload, design, designHash = "design_hash", status, metrics, units, objective, reward
                    case wallTime = "wall_time", message, details
                }
            }
            return (try prettyJSON(Report(
                environment: spec.id, workload: spec.workload, design: canonical, designHash: canonical.hash,
                status: evaluation.status, metrics: evaluation.metrics,
                units: Dictionary(uniqueKeysWithValues: spec.metrics.map { ($0.name, $0.unit) }),
                objective: objective.description, reward: objective.reward(for: evaluation), wallTime: evaluation.wallTime,
                message: evaluation.message, details: evaluation.details)), evaluation.status)
        }
        print(output)
        // Scripts can tell a failed evaluation from the exit status; the JSON above says why.
        if status != .ok { throw ExitCode(2) }
    }
}
