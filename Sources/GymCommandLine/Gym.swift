import ArgumentParser
import Foundation
import GymCore

/// The `gym` command line as a library: a package of your own builds its own `gym`, with its
/// environments and agents in the registry, in one line:
///
/// ```swift
/// var registry = Catalog.registry
/// registry.register(EnvironmentEntry(id: MyCache.id, summary: "my cache model") { try MyCache(options: $0) })
/// GymCommandLine.main(registry: registry)
/// ```
public enum GymCommandLine {
    /// Runs the command line on `registry` with the process's arguments, and exits.
    public static func main(registry: Registry) -> Never {
        CommandLineRegistry.current = registry
        Gym.main()
        exit(0)
    }
}

/// The registry every command uses, set once by `GymCommandLine.main` before parsing.
enum CommandLineRegistry {
    nonisolated(unsafe) static var current = Registry()
}

struct Gym: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gym",
        abstract: "DesignGym: search algorithms against simulators of hardware and ML design spaces.",
        discussion: """
            Every evaluation is logged to SQLite (default Logs/gym.sqlite). Start with:
              gym list                         what environments and agents there are
              gym describe Branin-v0           a space, its metrics and objectives
              gym run --env Branin-v0 --agent random --budget 200
              gym show                         the experiments in the database
            """,
        version: DesignGym.version,
        subcommands: [List.self, Describe.self, DescribeAgent.self, Serve.self, Broker.self, Worker.self, Keygen.self, Proxy.self, Run.self, SweepCommand.self, ReportCommand.self, Evaluate.self, Show.self, Export.self, Check.self])
}
