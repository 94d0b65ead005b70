import ArgumentParser
import GymCore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the registered environments and agents.",
        discussion: "Example: gym list --json")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let registry = CommandLineRegistry.current
        if json {
            struct Entry: Encodable { var id: String; var summary: String }
            struct Listing: Encodable { var environments: [Entry]; var families: [Entry]; var agents: [Entry] }
            print(try prettyJSON(Listing(environments: registry.environments.map { Entry(id: $0.id, summary: $0.summary) },
                                         families: registry.families.map { Entry(id: $0.prefix + $0.parameterName, summary: $0.summary) },
                                         agents: registry.agents.map { Entry(id: $0.id, summary: $0.summary) })))
            return
        }
        print("Environments")
        printTable(registry.environments.map { [$0.id, $0.summary] } + registry.families.map { [$0.prefix + $0.parameterName, $0.summary] })
        print("\nAgents")
        printTable(registry.agents.map { [$0.id, $0.summary] })
        print("\n`gym describe <environment>` shows a space; `gym run --env <id> --agent <id>` searches it.")
    }
}
