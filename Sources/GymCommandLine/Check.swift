import ArgumentParser
import GymCore
import GymTestSupport

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the conformance checks on registered environments and agents.",
        discussion: "Exits non-zero if any check fails.\nExamples: gym check\n          gym check Branin-v0")

    @Argument(help: "Environment or agent ids to check; all when omitted.")
    var ids: [String] = []

    func run() throws {
        let registry = CommandLineRegistry.current
        let unknown = ids.filter { id in !registry.environments.contains { $0.id == id } && !registry.agents.contains { $0.id == id } }
        if !unknown.isEmpty {
            throw CLIError("unknown id \(unknown.joined(separator: ", ")); `gym list` shows the environments and agents")
        }
        let environments = registry.environments.filter { ids.isEmpty || ids.contains($0.id) }
        let agents = registry.agents.filter { ids.isEmpty || ids.contains($0.id) }
        var failures = 0
        for entry in environments {
            let issues = EnvironmentConformance.check(entry)
            report(entry.id, issues)
            failures += issues.count
        }
        for entry in agents {
            for environmentEntry in registry.environments {
                let environment = try environmentEntry.make(EnvironmentOptions())
                let issues = AgentConformance.check(entry, on: environment)
                report("\(entry.id) on \(environmentEntry.id)", issues)
                failures += issues.count
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    private func report(_ subject: String, _ issues: [ConformanceIssue]) {
        print((issues.isEmpty ? "ok    " : "FAIL  ") + subject)
        for issue in issues { print("      \(issue.check): \(issue.message)") }
    }
}
