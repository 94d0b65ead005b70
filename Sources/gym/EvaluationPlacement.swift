import GymCatalog
import GymCore
import GymTransport

/// Where evaluations run: in this process, on a server or broker (`--remote`), or in local worker
/// processes (`--workers`, the broker's machinery in this process). `registry` makes environments that
/// evaluate there; `stop()` ends the workers.
final class EvaluationPlacement {
    let registry: Registry
    private var pool: WorkerPool?
    private var localWorkers: LocalWorkers?

    init(remote: String?, workers: Int?, evaluationTimeout: Double?, curve security: Curve.Client?) throws {
        var registry = Catalog.registry
        if security != nil && remote == nil { throw CLIError("--curve-server-key needs --remote") }
        if let remote {
            // The same loop, with the environment's evaluations on the server.
            var remoteRegistry = Registry()
            for entry in registry.environments {
                remoteRegistry.register(EnvironmentEntry(id: entry.id, summary: entry.summary) { options in
                    try RemoteEnvironment(endpoint: remote, environment: entry.id, options: options, curve: security)
                })
            }
            for entry in registry.agents { remoteRegistry.register(entry) }
            registry = remoteRegistry
        }
        if let workers {
            guard workers >= 1, remote == nil else {
                throw CLIError(workers < 1 ? "--workers must be at least 1" : "--workers and --remote cannot be combined; run `gym broker` and point --remote at it")
            }
            // Evaluations go to worker processes, results come back here, and this process alone writes the database.
            let workerPool = try reportingErrors {
                try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: WorkerPool.Settings(evaluationTimeout: evaluationTimeout))
            }
            let endpoint = try reportingErrors { try workerPool.start() }
            pool = workerPool
            do {
                localWorkers = try reportingErrors { try LocalWorkers(count: workers, endpoint: endpoint) }
                guard workerPool.waitForWorkers(workers, timeout: 60) else {
                    throw CLIError("only \(workerPool.workerCount) of \(workers) worker processes connected within 60 s")
                }
            } catch {
                localWorkers?.stop()
                workerPool.stop()
                throw error
            }
            registry = PooledEnvironment.registry(registry, pool: workerPool)
        } else if evaluationTimeout != nil {
            throw CLIError("--evaluation-timeout needs --workers (a local evaluation cannot be abandoned safely)")
        }
        self.registry = registry
    }

    func stop() {
        localWorkers?.stop()
        pool?.stop()
    }
}
