import ArgumentParser
import Dispatch
import Foundation
import GymCore
import GymStore
import GymTransport

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve environments over ZeroMQ (protocol designgym/1, see docs/PROTOCOL.md).",
        discussion: """
            Binds a ROUTER socket and serves many sessions at once until Ctrl-C. Only this machine can connect \
            unless --allow-remote is given. Clients reach only what this command line names: the environments \
            given with --env (all registered ones when none is), and files only inside the folder given with \
            --allow-files (none otherwise). Every evaluation, and every environment a client asks for, stops \
            after --timeout seconds with status `timeout`, while other clients are served. With --db, every session \
            is logged as an experiment (the client may name its agent, settings and experiment in `open`), and \
            clients may open studies: a registered agent suggests designs, the client evaluates and observes them. \
            A session idle for --idle-timeout seconds is closed.
            Examples:
              gym serve --env Branin-v0 --env DiffusionSampler-v1 \\
                  --bind tcp://127.0.0.1:5555
              gym serve --env MemoryController-v0 --allow-files traces/ --timeout 120
              gym serve --env Branin-v0 --db Logs/gym.sqlite    # gym show lists them
              gym run --remote tcp://127.0.0.1:5555 --env Branin-v0 --agent bayesian \\
                  --budget 60
            """)

    @Option(name: .customLong("env"), help: "Environment to serve (repeatable); all registered ones when omitted.")
    var environments: [String] = []

    @Option(help: "Endpoint to bind, for example tcp://127.0.0.1:5555 or ipc:///tmp/gym.sock.")
    var bind: String = "tcp://127.0.0.1:5555"

    @Flag(help: "Allow binding to an address other machines can reach.")
    var allowRemote = false

    @Option(parsing: .unconditional, help: "Largest request accepted, in bytes.")
    var messageLimit: Int = 4 << 20

    @Option(parsing: .unconditional, help: "Seconds an evaluation (or making an environment) may take before it stops with status `timeout`; 0 for no limit.")
    var timeout: Double = SessionService.Settings.defaultTimeout

    @Option(help: ArgumentHelp("Let clients name files (traces, memspecs, networks) inside this folder, and nowhere else.", valueName: "dir"))
    var allowFiles: String?

    @OptionGroup var logging: SessionLoggingOptions

    @OptionGroup var curve: CurveServerOptions

    func run() throws {
        let registry = CommandLineRegistry.current
        try checkServedEnvironments(environments, in: registry)
        let store = try logging.store()
        defer { store?.close() }
        let settings = try serviceSettings(timeout: timeout, allowFiles: allowFiles, messageLimit: messageLimit, logging: logging, store: store,
                                           workerName: "serve")
        let service = SessionService(registry: registry, environments: environments, settings: settings)
        let security = try curve.settings()
        let server = try reportingErrors { try GymServer(service: service, endpoint: bind, allowRemote: allowRemote, curve: security) }
        let endpoint = try reportingErrors { try server.start() }
        // Written unbuffered: scripts wait for this line to learn the endpoint.
        let files = (settings.files.root.map { ", files in \($0)" } ?? "") + (store?.path.map { ", logging to \($0)" } ?? "")
        let banner = "Serving \(service.served.joined(separator: ", ")) on \(endpoint) (protocol designgym/1\(security == nil ? "" : ", CURVE")\(files)). Ctrl-C stops.\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        waitForInterrupt()
        server.stop()
        service.shutdown()
        print("Stopped.")
    }
}

/// Checks the environments named with --env: each is registered, and a family member (`Command:<file>`,
/// `Proxy:<file>`) is made once, so a spec file with a mistake stops the server at its start rather than
/// failing every client.
func checkServedEnvironments(_ ids: [String], in registry: Registry) throws {
    for id in ids {
        let entry = try reportingErrors { try registry.environment(id) }
        if registry.families.contains(where: { id.hasPrefix($0.prefix) }) {
            _ = try reportingErrors { try entry.make(EnvironmentOptions()) }
        }
    }
}

/// The service settings of `gym serve` and `gym broker`: the time limit (0 for none), the allowed folder
/// and the message limit, checked.
func serviceSettings(timeout: Double, allowFiles: String?, messageLimit: Int = WireProtocol.defaultMessageLimit,
                     logging: SessionLoggingOptions, store: TrajectoryStore?, workerName: String) throws -> SessionService.Settings {
    guard timeout >= 0, timeout.isFinite else { throw CLIError("--timeout is a number of seconds of at least 0 (0: no limit), not \(timeout)") }
    guard messageLimit >= 1024 else { throw CLIError("--message-limit must be at least 1024 bytes, not \(messageLimit)") }
    guard logging.idleTimeout > 0, logging.idleTimeout.isFinite else {
        throw CLIError("--idle-timeout is a positive number of seconds, not \(logging.idleTimeout)")
    }
    let files = try reportingErrors { try allowFiles.map { try FileAccess(allowing: $0) } ?? .none }
    return SessionService.Settings(messageLimit: messageLimit, evaluationTimeout: timeout > 0 ? timeout : nil, files: files, store: store,
                                   idleTimeout: logging.idleTimeout, workerName: workerName)
}

/// `--db` and `--idle-timeout` of the commands that serve.
struct SessionLoggingOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "Log every session and study as an experiment in this SQLite database (studies need it).")
    var path: String?

    @Option(parsing: .unconditional, help: "Seconds without a request after which a session or study is closed (logged as interrupted).")
    var idleTimeout: Double = SessionService.Settings.defaultIdleTimeout

    func store() throws -> TrajectoryStore? {
        try path.map { path in try reportingErrors { try TrajectoryStore(path: path) } }
    }
}
