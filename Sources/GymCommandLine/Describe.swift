import ArgumentParser
import GymCore

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an environment: parameters, metrics with units, workloads, options and objectives.",
        discussion: "Example: gym describe Knapsack-v0\n         gym describe ZDT1-v0 --json")

    @Argument(help: "Environment id (see `gym list`).")
    var environment: String

    @OptionGroup var selection: EnvironmentSelection

    @Flag(help: "Print the spec as JSON.")
    var json = false

    func run() throws {
        let spec = try reportingErrors {
            try CommandLineRegistry.current.makeEnvironment(environment, options: try selection.environmentOptions()).spec
        }
        if json {
            print(try prettyJSON(spec))
            return
        }
        print("\(spec.id) — \(spec.summary)")
        let size = spec.space.size
        print("\nParameters (\(spec.space.parameters.count); \(size.isFinite ? "\(formatNumber(size)) designs" : "continuous"))")
        printTable(spec.space.parameters.map { parameter in
            [parameter.name, parameter.allowedDescription, "default \(parameter.defaultValue)",
             parameter.unit.map { "[\($0)]" } ?? "", parameter.summary]
        })
        if !spec.space.constraints.isEmpty {
            print("\nConstraints")
            printTable(spec.space.constraints.map { [$0.name, $0.message] })
        }
        print("\nMetrics")
        printTable(spec.metrics.map { ["\($0.name)", "[\($0.unit)]", $0.goal.rawValue, $0.summary] })
        print("\nWorkloads")
        printTable(spec.workloads.map { [$0.name + ($0.name == spec.workload ? " (default)" : ""), $0.summary] })
        if !spec.options.isEmpty {
            print("\nOptions (--option key=value)")
            printTable(spec.options.map { [$0.key, $0.defaultValue.map { "default \($0)" } ?? "", $0.summary] })
        }
        print("\nObjectives (--objective)")
        var rows = [["default", spec.defaultObjective.description]]
        rows += spec.suggestedObjectives.keys.sorted().map { [$0, spec.suggestedObjectives[$0]!.description] }
        printTable(rows)
        print("\nDeterministic: \(spec.isDeterministic ? "yes" : "no")")
    }
}
