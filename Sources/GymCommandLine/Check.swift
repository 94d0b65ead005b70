import ArgumentParser
import Foundation
import GymCore
import GymTestSupport
import GymTransport

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the conformance checks on registered environments and agents, or on a server's environments.",
        discussion: """
            Exits non-zero if any check fails. With --remote, every environment the server at that endpoint
            serves (or those named) is checked over the wire: designgym/1's refusals and sessions, then the
            environment checks with designs, workloads and options sent unchecked, so the server's own
            validation is tested. This is how a host written in another language (designgym.serve in
            Python, or your own) shows it conforms.
            Examples:
              gym check
              gym check Branin-v0
              gym check Command:Environments/External/SCALESim/scalesim.yaml --samples 4
              gym check --remote tcp://127.0.0.1:5557 --workload small --samples 8
            """)

    @Argument(help: "Environment or agent ids to check (a family member such as Command:<file> too); all registered ones when omitted.")
    var ids: [String] = []

    @Option(help: ArgumentHelp("Check the environments served at this endpoint instead.", valueName: "endpoint"))
    var remote: String?

    @Option(help: "Workload the environments are checked on (each one's default when omitted).")
    var workload: String?

    @Option(parsing: .unconditional, help: "Designs each environment evaluates in the checks (three times each when it is deterministic).")
    var samples: Int = 24

    @Option(parsing: .unconditional, help: "With --remote: seconds to wait for the server's first answer.")
    var connectTimeout: Double = GymClient.defaultConnectTimeout

    @OptionGroup var curve: CurveClientOptions

    func validate() throws {
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, not \(samples)") }
        guard connectTimeout > 0, connectTimeout.isFinite else {
            throw ValidationError("--connect-timeout is a positive number of seconds, not \(connectTimeout)")
        }
    }

    func run() throws {
        if let remote { return try checkServer(remote) }
        let security = try curve.settings()
        if security != nil { throw CLIError("--curve-server-key needs --remote") }
        let registry = CommandLineRegistry.current
        let families = ids.filter { id in registry.families.contains { id.hasPrefix($0.prefix) } }
        let unknown = ids.filter { id in
            !registry.environments.contains { $0.id == id } && !registry.agents.contains { $0.id == id } && !families.contains(id)
        }
        if !unknown.isEmpty {
            throw CLIError("unknown id \(unknown.joined(separator: ", ")); `gym list` shows the environments and agents")
        }
        let environments = registry.environments.filter { ids.isEmpty || ids.contains($0.id) } + (try families.map { try registry.environment($0) })
        let agents = registry.agents.filter { ids.isEmpty || ids.contains($0.id) }
        var failures = 0
        for entry in environments {
            let issues = EnvironmentConformance.check(entry.defaultingWorkload(to: workload), samples: samples)
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

    private func checkServer(_ endpoint: String) throws {
        let security = try curve.settings()
        let served = try reportingErrors {
            try GymClient(endpoint: endpoint, curve: security).handshake(timeout: connectTimeout)
        }
        let unknown = ids.filter { !served.contains($0) }
        if !unknown.isEmpty {
            throw CLIError("\(endpoint) does not serve \(unknown.joined(separator: ", ")); it serves: \(served.joined(separator: ", "))")
        }
        var failures = 0
        for id in ids.isEmpty ? served : ids {
            let issues = ServerConformance.check(endpoint: endpoint, environment: id, workload: workload, samples: samples, curve: security,
                                                 connectTimeout: connectTimeout)
            report("\(id) at \(endpoint)", issues)
            failures += issues.count
        }
        if failures > 0 { throw ExitCode.failure }
    }

    private func report(_ subject: String, _ issues: [ConformanceIssue]) {
        print((issues.isEmpty ? "ok    " : "FAIL  ") + subject)
        for issue in issues { print("      \(issue.check): \(issue.message)") }
    }
}
