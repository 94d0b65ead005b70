import ArgumentParser
import Foundation
import GymCore
import GymTestSupport
import GymTransport

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the conformance checks on registered environments and agents, or on a server's environments.",
        discussion: """
            Exits non-zero if any check fails. With --remote, every environment the server at that endpoint \
            serves (or those named) is checked over the wire: designgym/1's refusals and sessions, then the \
            environment checks with designs, workloads and options sent unchecked, so the server's own \
            validation is tested. This is how a host written in another language (designgym.serve in \
            Python, or your own) shows it conforms. Without ids, environments whose first evaluation is costly \
            (Supernet-v1 and CoDesign-v0 train a supernet) are left out, saying so: name them to check them. \
            Progress goes to standard error.
            Examples:
              gym check
              gym check Branin-v0
              gym check Supernet-v1 random    # the environment, and the agent on it alone
              gym check Command:Environments/External/SCALESim/scalesim.yaml --samples 4
              gym check --remote tcp://127.0.0.1:5557 --workload small --samples 8
            """)

    @Argument(help: "Environment or agent ids to check (a family member such as Command:<file> too); all registered ones when omitted. Given an environment and an agent, the agent is checked on that environment alone.")
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
        let namedEnvironments = registry.environments.filter { ids.contains($0.id) } + (try families.map { try registry.environment($0) })
        let namedAgents = registry.agents.filter { ids.contains($0.id) }
        // Environments whose first evaluation is costly (a supernet's training) are checked only when named.
        let cheap = registry.environments.filter { $0.preparation == nil }
        let skipped = namedEnvironments.isEmpty && (ids.isEmpty || namedAgents.count == ids.count)
            ? registry.environments.filter { $0.preparation != nil } : []
        let environments = namedEnvironments.isEmpty ? (ids.isEmpty ? cheap : []) : namedEnvironments
        let agents = ids.isEmpty ? registry.agents : namedAgents
        // Agents run on the environments named, or else on every one that needs no preparation.
        let grounds = namedEnvironments.isEmpty ? cheap : namedEnvironments
        for entry in skipped {
            print("skip  \(entry.id): it \(entry.preparation!); name it to check it (gym check \(entry.id))")
        }
        let total = environments.count + agents.count * grounds.count
        var done = 0, failures = 0
        let started = Date()
        func progress(_ subject: String) {
            done += 1
            let line = String(format: "[%d/%d, %.0f s] checking %@…\n", done, total, Date().timeIntervalSince(started), subject)
            FileHandle.standardError.write(Data(line.utf8))
        }
        for entry in environments {
            progress(entry.id)
            let issues = EnvironmentConformance.check(entry.defaultingWorkload(to: workload), samples: samples)
            report(entry.id, issues)
            failures += issues.count
        }
        for entry in agents {
            for environmentEntry in grounds {
                progress("\(entry.id) on \(environmentEntry.id)")
                // --workload applies to environments named; others may not have it, and use their default.
                let ground = namedEnvironments.isEmpty ? environmentEntry : environmentEntry.defaultingWorkload(to: workload)
                let environment = try ground.make(EnvironmentOptions())
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
