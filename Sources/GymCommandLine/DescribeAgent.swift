import ArgumentParser
import GymCore

struct DescribeAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe-agent",
        abstract: "Describe an agent: its hyperparameters with types, defaults and meaning, and its sweep grids.",
        discussion: "Example: gym describe-agent genetic\n         gym run --agent genetic -H population=64 -H crossover=one-point")

    @Argument(help: "Agent id (see `gym list`).")
    var agent: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let entry = try reportingErrors { try CommandLineRegistry.current.agent(agent) }
        if json {
            struct Description: Encodable {
                var id: String
                var summary: String
                var hyperparameters: ParameterSpace
                var grids: [String: [String: [ParameterValue]]]
            }
            print(try prettyJSON(Description(id: entry.id, summary: entry.summary, hyperparameters: entry.hyperparameters,
                                             grids: entry.grids)))
            return
        }
        print("\(entry.id) — \(entry.summary)")
        if entry.hyperparameters.parameters.isEmpty {
            print("\nNo hyperparameters.")
        } else {
            print("\nHyperparameters (-H name=value)")
            printTable(entry.hyperparameters.parameters.map { [$0.name, $0.allowedDescription, "default \($0.defaultValue)", $0.summary] })
        }
        for name in entry.grids.keys.sorted() {
            let grid = entry.grids[name]!
            let count = entry.settings(ofGrid: name)?.count ?? 0
            print("\nGrid \"\(name)\" (\(count) settings)")
            printTable(grid.keys.sorted().map { key in [key, grid[key]!.map(\.description).joined(separator: ", ")] })
        }
    }
}
