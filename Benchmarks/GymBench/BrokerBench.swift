import Dispatch
import Foundation
import Experiments
import GymCatalog
import GymCore
import GymStore
import GymTransport

/// A worker pool on loopback with `count` in-process workers, all connected.
func startPool(workers count: Int) throws -> (pool: WorkerPool, workers: [GymWorker]) {
    let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*")
    let endpoint = try pool.start()
    let workers = (0..<count).map { index in
        let worker = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "bench-\(index)")
        Thread { _ = try? worker.run() }.start()
        return worker
    }
    _ = pool.waitForWorkers(count, timeout: 10)
    return (pool, workers)
}

/// Evaluations per second through the worker pool (the broker's machinery) with 1, 2 and 4 workers:
/// on a trivial environment (the transport's own cost) and with 10 ms of simulated work per evaluation.
func benchBroker() throws {
    let design = try Catalog.registry.makeEnvironment("Branin-v0").spec.space.defaultDesign
    for (label, values, count) in [("trivial", [String: String](), 4000), ("10 ms each", ["delay": "0.01"], 400)] {
        var line = "broker, Branin-v0 \(label)".padding(toLength: 40, withPad: " ", startingAt: 0)
        for workerCount in [1, 2, 4] {
            let (pool, workers) = try startPool(workers: workerCount)
            let options = EnvironmentOptions(values: values)
            let clients = 2 * workerCount
            let done = DispatchSemaphore(value: 0)
            let start = DispatchTime.now().uptimeNanoseconds
            for client in 0..<clients {
                Thread {
                    for _ in stride(from: client, to: count, by: clients) {
                        _ = pool.evaluate(environment: "Branin-v0", options: options, design: design)
                    }
                    done.signal()
                }.start()
            }
            for _ in 0..<clients { done.wait() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            line += String(format: "  %d worker%@ %7.0f/s", workerCount, workerCount == 1 ? "" : "s", Double(count) / seconds)
            workers.forEach { $0.stop() }
            pool.stop()
        }
        print(line)
    }
    try benchRemoteRun()
}

/// `gym run --remote` against a broker: the runner keeps a batch of evaluations in flight on threads of
/// its own, so throughput follows the workers, not this machine's cores (1-second evaluations).
func benchRemoteRun() throws {
    var line = "run --remote, Branin-v0 1 s each, batch 16".padding(toLength: 44, withPad: " ", startingAt: 0)
    for workerCount in [4, 8, 16] {
        let (pool, workers) = try startPool(workers: workerCount)
        let service = SessionService(registry: PooledEnvironment.registry(Catalog.registry, pool: pool), environments: ["Branin-v0"])
        let server = try GymServer(service: service, endpoint: "tcp://127.0.0.1:*")
        let endpoint = try server.start()
        var remote = Registry()
        remote.register(EnvironmentEntry(id: "Branin-v0", summary: "served") { options in
            try RemoteEnvironment(endpoint: endpoint, environment: "Branin-v0", options: options)
        })
        for entry in Catalog.registry.agents { remote.register(entry) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gym-bench-remote-\(getpid())-\(workerCount)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try TrajectoryStore(path: folder.appendingPathComponent("bench.sqlite").path)
        let evaluations = 48
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try ExperimentRunner(registry: remote, store: store).run(ExperimentConfiguration(
            environmentID: "Branin-v0", environmentOptions: EnvironmentOptions(values: ["delay": "1"]), agentID: "random", seed: 1,
            budget: Budget(evaluations: evaluations), batchSize: 16, parallelism: 16, usesCache: false))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        line += String(format: "  %2d workers %5.1f/s", workerCount, Double(evaluations) / seconds)
        store.close()
        server.stop()
        workers.forEach { $0.stop() }
        pool.stop()
    }
    print(line + "  (this machine: \(ProcessInfo.processInfo.activeProcessorCount) cores)")
}
