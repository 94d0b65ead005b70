import ArgumentParser
import Foundation
import GymCore
import GymTransport

/// Where `gym run` and `gym sweep` evaluate: `--remote`, `--workers` and their settings.
struct PlacementOptions: ParsableArguments {
    @Option(help: "Evaluate on a server or broker at this endpoint (gym serve, gym broker; docs/SCALE_OUT.md) instead of in this process.")
    var remote: String?

    @Option(parsing: .unconditional, help: "Evaluate in this many local worker processes (the broker's machinery); a worker that dies is replaced and its evaluation re-run.")
    var workers: Int?

    @Option(parsing: .unconditional, help: "Seconds an evaluation may run before it is recorded as a timeout (with --workers, its worker is replaced).")
    var evaluationTimeout: Double?

    @Option(parsing: .unconditional, help: "With --remote: seconds to wait for the server to answer at all before giving up.")
    var connectTimeout: Double = GymClient.defaultConnectTimeout

    @Option(parsing: .unconditional, help: "With --remote: seconds an evaluation may go without any reply from the server (it is pinged meanwhile) before the run stops, interrupted and resumable; a server that lost the session (a restarted broker) is reconnected at once.")
    var remoteTimeout: Double = 600

    @OptionGroup var curve: CurveClientOptions

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, not \(workers)") }
    }

    /// Starts what these options ask for (workers, a connection's settings); `stop()` it when done.
    func make() throws -> EvaluationPlacement {
        try EvaluationPlacement(remote: remote, workers: workers, evaluationTimeout: evaluationTimeout, connectTimeout: connectTimeout,
                                remoteTimeout: remoteTimeout, curve: try curve.settings())
    }

    /// The time limit this process enforces on its own evaluations: with workers or a server, they do.
    var evaluationTimeoutHere: Double? { workers == nil && remote == nil ? evaluationTimeout : nil }
}

/// Where evaluations run: in this process, on a server or broker (`--remote`), or in local worker
/// processes (`--workers`, the broker's machinery in this process). `registry` makes environments that
/// evaluate there; `stop()` ends the workers.
final class EvaluationPlacement {
    let registry: Registry
    private var pool: WorkerPool?
    private var localWorkers: LocalWorkers?
    private var secrets: LocalWorkerSecrets?

    init(remote: String?, workers: Int?, evaluationTimeout: Double?, connectTimeout: Double = GymClient.defaultConnectTimeout,
         remoteTimeout: Double = 600, curve security: Curve.Client?) throws {
        if let evaluationTimeout, !(evaluationTimeout > 0) { throw CLIError("--evaluation-timeout is a positive number of seconds, not \(evaluationTimeout)") }
        guard connectTimeout > 0 else { throw CLIError("--connect-timeout is a positive number of seconds, not \(connectTimeout)") }
        guard remoteTimeout > 0 else { throw CLIError("--remote-timeout is a positive number of seconds, not \(remoteTimeout)") }
        var registry = CommandLineRegistry.current
        if security != nil && remote == nil { throw CLIError("--curve-server-key needs --remote") }
        if let remote {
            // The same loop, with the environment's evaluations on the server.
            // Any id goes to the server, which says what it serves when it does not serve that one: it may
            // host environments this gym does not have (`Command:<file>`, a Python `designgym.serve`).
            var remoteRegistry = Registry()
            remoteRegistry.register(EnvironmentFamily(prefix: "", parameterName: "<id the server serves>", summary: "served by \(remote)") { id, options, _ in
                try RemoteEnvironment(endpoint: remote, environment: id, options: options, timeout: remoteTimeout, connectTimeout: connectTimeout,
                                      curve: security)
            })
            for entry in registry.agents { remoteRegistry.register(entry) }
            registry = remoteRegistry
        }
        if let workers {
            guard workers >= 1, remote == nil else {
                throw CLIError(workers < 1 ? "--workers must be at least 1" : "--workers and --remote cannot be combined; run `gym broker` and point --remote at it")
            }
            // Evaluations go to worker processes, results come back here, and this process alone writes the
            // database. The workers' endpoint is a socket file in a folder only this user can enter, and
            // with CURVE keys made for this run (the workers get theirs on standard input): no other
            // process can join and hand in results.
            let secrets = try reportingErrors { try LocalWorkerSecrets() }
            let workerPool = try reportingErrors {
                try WorkerPool(endpoint: secrets.endpoint, settings: WorkerPool.Settings(evaluationTimeout: evaluationTimeout), curve: secrets.server)
            }
            let endpoint = try reportingErrors { try workerPool.start() }
            pool = workerPool
            self.secrets = secrets
            do {
                localWorkers = try reportingErrors { try LocalWorkers(count: workers, endpoint: endpoint, secrets: secrets) }
                guard workerPool.waitForWorkers(workers, timeout: 60) else {
                    throw CLIError("only \(workerPool.workerCount) of \(workers) worker processes connected within 60 s")
                }
            } catch {
                localWorkers?.stop()
                workerPool.stop()
                throw error
            }
            registry = PooledEnvironment.registry(registry, pool: workerPool)
        } else if evaluationTimeout != nil && remote != nil {
            throw CLIError("--evaluation-timeout applies to this machine's evaluations; a server sets its own with `gym serve --timeout`")
        }
        self.registry = registry
    }

    func stop() {
        localWorkers?.stop()
        pool?.stop()
        secrets?.remove()
    }
}

/// What keeps a run's local workers private: a folder only this user can enter, holding the workers'
/// socket file, and CURVE keys made for this run alone — the pool's, and the one key it admits, which the
/// workers read from standard input (never from their command line, which `ps` shows).
final class LocalWorkerSecrets: @unchecked Sendable {
    /// The private folder.
    let folder: String
    /// The pool's endpoint, inside the folder.
    let endpoint: String
    /// The pool's CURVE settings, admitting only `client` (nil when this libzmq has no CURVE).
    let server: Curve.Server?
    /// The workers' key pair and the pool's public key.
    let client: Curve.Client?

    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/designgym-workers-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CLIError("cannot make a private folder for the workers: \(String(cString: strerror(errno)))") }
        folder = String(cString: made)
        chmod(folder, 0o700)
        endpoint = "ipc://\(folder)/workers"
        if Curve.isAvailable {
            let serverKeys = try Curve.generate(), clientKeys = try Curve.generate()
            server = Curve.Server(keys: serverKeys, authorizedClients: [clientKeys.publicKey])
            client = Curve.Client(serverKey: serverKeys.publicKey, keys: clientKeys)
        } else {
            server = nil
            client = nil
        }
    }

    /// The text a worker reads from standard input with `--keys-on-stdin`.
    var workerInput: String? {
        guard let client, let keys = client.keys else { return nil }
        return "server \(client.serverKey)\npublic \(keys.publicKey)\nsecret \(keys.secretKey)\n"
    }

    /// Removes the folder and its socket file.
    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
