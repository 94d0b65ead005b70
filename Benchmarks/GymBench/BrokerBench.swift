import Dispatch
import Foundation
import GymCatalog
import GymCore
import GymTransport

/// Evaluations per second through the worker pool (the broker's machinery) with 1, 2 and 4 workers:
/// on a trivial environment (the transport's own cost) and with 10 ms of simulated work per evaluation.
func benchBroker() throws {
    let design = try Catalog.registry.makeEnvironment("Branin-v0").spec.space.defaultDesign
    for (label, values, count) in [("trivial", [String: String](), 4000), ("10 ms each", ["delay": "0.01"], 400)] {
        var line = "broker, Branin-v0 \(label)".padding(toLength: 40, withPad: " ", startingAt: 0)
        for workerCount in [1, 2, 4] {
            let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*")
            let endpoint = try pool.start()
            let workers = (0..<workerCount).map { index in
                let worker = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "bench-\(index)")
                Thread { _ = try? worker.run() }.start()
                return worker
            }
            _ = pool.waitForWorkers(workerCount, timeout: 10)
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
}
