import ArgumentParser
import GymCore

@main
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
