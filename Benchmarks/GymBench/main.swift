import CZeroMQ
import DiffusionSampler
import Dispatch
import Experiments
import Foundation
import GymCatalog
import GymCore
import GymStore
import GymTransport

// Throughput of the core paths, in a release build. Each line prints one figure.

func measure(_ label: String, unit: String, count: Int, _ body: () throws -> Void) rethrows {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let rate = Double(count) / seconds
    let name = label.padding(toLength: 48, withPad: " ", startingAt: 0)
    print(name + String(format: "%12.0f ", rate) + unit + "/s" + String(format: "   (%d in %.3f s)", count, seconds))
}

// `gym-bench proxy` (or memory-controller, broker, accelerator, supernet) runs that section alone.
let sections: [(String, () throws -> Void)] = [("memory-controller", benchMemoryController), ("broker", benchBroker), ("proxy", benchProxy),
                                              ("accelerator", benchAccelerator), ("supernet", benchSupernet)]
if let only = CommandLine.arguments.dropFirst().first {
    guard let section = sections.first(where: { $0.0 == only }) else {
        FileHandle.standardError.write(Data("unknown section '\(only)'; the sections are: \(sections.map(\.0).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    try section.1()
    exit(0)
}

let space = try Catalog.registry.makeEnvironment("ZDT1-v0").spec.space
var generator = SeededGenerator(seed: 1)
let designs = (0..<20_000).map { _ in space.sample(using: &generator) }

measure("sample a mixed 6-parameter design", unit: "designs", count: 200_000) {
    var local = SeededGenerator(seed: 2)
    for _ in 0..<200_000 { _ = space.sample(using: &local) }
}
measure("validate a design", unit: "designs", count: designs.count) {
    for design in designs { _ = try? space.validate(design) }
}
measure("canonical JSON + SHA-256 hash", unit: "designs", count: designs.count) {
    for design in designs { _ = design.hash }
}
measure("unit encode + decode", unit: "designs", count: designs.count) {
    for design in designs { _ = space.design(fromUnitVector: space.unitVector(design)) }
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gym-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: folder) }
let store = try TrajectoryStore(path: folder.appendingPathComponent("bench.sqlite").path)
let runner = ExperimentRunner(registry: Catalog.registry, store: store)
for (label, batch) in [("experiment loop, batch 1 (Branin, file store)", 1), ("experiment loop, batch 16 (Branin, file store)", 16)] {
    try measure(label, unit: "trials", count: 20_000) {
        _ = try runner.run(ExperimentConfiguration(environmentID: "Branin-v0", agentID: "random", seed: UInt64(batch),
                                                   budget: Budget(evaluations: 20_000), batchSize: batch, usesCache: false))
    }
}
let last = try store.experiments().last!.id!
try measure("read back trials", unit: "trials", count: 20_000) {
    _ = try store.trials(experiment: last)
}
try measure("export CSV", unit: "trials", count: 20_000) {
    var bytes = 0
    try store.export(ExportFilter(experiments: [last]), format: .csv) { bytes += $0.utf8.count }
}

// DiffusionSampler-v1: the reference solution (aim ≤ 2 s) and one evaluation of 4,000 samples at NFE 20 (aim ≤ 20 ms).
for workload in ["2d", "8d"] {
    let mixture: GaussianMixture = workload == "2d" ? .twoDimensional : .eightDimensional
    let denoiser = MixtureDenoiser(mixture: mixture)
    let start = ReproducibleRandom.normals(seed: workload == "2d" ? 1234 : 5678, rows: 4000, columns: mixture.dimension)
    let began = DispatchTime.now().uptimeNanoseconds
    _ = try ReferenceSolution.solve(start, denoiser: denoiser)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
    print("DiffusionSampler \(workload) reference, 4000 samples".padding(toLength: 52, withPad: " ", startingAt: 0)
          + String(format: "%12.3f s", seconds))
    let environment = try DiffusionSamplerEnvironment(options: EnvironmentOptions(workload: workload))
    let design = try environment.spec.space.design(from: ["nfe": 20, "solver": "unipc"], fillingDefaults: true)
    _ = try environment.evaluate(design)  // the reference is cached from here on
    let repeats = 20
    let evaluationStart = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<repeats { _ = try environment.evaluate(design) }
    let perEvaluation = Double(DispatchTime.now().uptimeNanoseconds - evaluationStart) / 1e6 / Double(repeats)
    print("DiffusionSampler \(workload) evaluation, NFE 20, 4000 samples".padding(toLength: 52, withPad: " ", startingAt: 0)
          + String(format: "%12.1f ms", perEvaluation))
}

for (_, section) in sections { try section() }


// Suggestion time against history size: each agent on Branin-v0 after n observations, mean of 20
// suggest-one-then-observe rounds.
let branin = try Catalog.registry.makeEnvironment("Branin-v0")
let braninObjective = branin.spec.defaultObjective
for entry in Catalog.registry.agents {
    var line = "suggest + evaluate + observe 1, \(entry.id)".padding(toLength: 52, withPad: " ", startingAt: 0)
    for history in [10, 100, 500, 1000] {
        let agent = try Catalog.registry.makeAgent(entry.id, space: branin.spec.space, objective: braninObjective, seed: 1)
        var number = 0
        func feed(_ designs: [Design]) throws {
            try agent.observe(designs.map { design in
                let evaluation = branin.measure(design)
                defer { number += 1 }
                return Trial(number: number, design: design, evaluation: evaluation, reward: braninObjective.reward(for: evaluation))
            })
        }
        while number < history { try feed(try agent.suggest(min(10, history - number))) }
        let began = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<20 { try feed(try agent.suggest(1)) }
        let microseconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e3 / 20
        line += String(format: "  n=%-4d %9.1f µs", history, microseconds)
    }
    print(line)
}

// Transport: round-trip latency of `step` on a trivial environment over inproc, ipc and tcp loopback,
// next to a raw ZeroMQ DEALER–ROUTER echo of a message of the same size in the same run.
func rawEchoMicroseconds(_ endpoint: String, size: Int, rounds: Int) -> Double {
    let context = zmq_ctx_new()
    defer { zmq_ctx_term(context) }
    let router = zmq_socket(context, ZMQ_ROUTER)!, dealer = zmq_socket(context, ZMQ_DEALER)!
    var linger: Int32 = 0
    zmq_setsockopt(router, ZMQ_LINGER, &linger, 4)
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, 4)
    zmq_bind(router, endpoint)
    var buffer = [CChar](repeating: 0, count: 512)
    var length = buffer.count
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, &buffer, &length)
    zmq_connect(dealer, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    // The echo thread owns the ROUTER socket from here on (the main thread only uses the DEALER).
    nonisolated(unsafe) let routerSocket = router
    let echo = Thread {
        let router = routerSocket
        var identity = [UInt8](repeating: 0, count: 256), payload = [UInt8](repeating: 0, count: size + 16)
        for _ in 0..<(rounds + 1) {
            let n = zmq_recv(router, &identity, identity.count, 0)
            let m = zmq_recv(router, &payload, payload.count, 0)
            zmq_send(router, identity, Int(n), ZMQ_SNDMORE)
            zmq_send(router, payload, Int(m), 0)
        }
    }
    echo.start()
    let message = [UInt8](repeating: 65, count: size)
    var reply = [UInt8](repeating: 0, count: size + 16)
    zmq_send(dealer, message, size, 0)
    zmq_recv(dealer, &reply, reply.count, 0)  // warm-up
    let began = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<rounds {
        zmq_send(dealer, message, size, 0)
        zmq_recv(dealer, &reply, reply.count, 0)
    }
    let microseconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e3 / Double(rounds)
    echo.cancel()
    zmq_close(dealer)
    Thread.sleep(forTimeInterval: 0.05)
    zmq_close(router)
    return microseconds
}

for endpoint in ["inproc://designgym-bench", "ipc:///tmp/designgym-bench-\(getpid()).sock", "tcp://127.0.0.1:*"] {
    let server = try GymServer(service: SessionService(registry: Catalog.registry, environments: ["Branin-v0"]), endpoint: endpoint)
    let bound = try server.start()
    let client = try GymClient(endpoint: bound)
    guard case .object(let opened) = try client.request("open", ["environment": "Branin-v0"]), let session = opened["session"] else { continue }
    let design: JSONValue = ["x1": 1.5, "x2_steps": 100, "variant": "standard"]
    let stepRequest = String(decoding: try JSONEncoder().encode(JSONValue.object([
        "protocol": "designgym/1", "id": 1, "op": "step", "session": session, "design": design])), as: UTF8.self)
    let rounds = 2000
    var began = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<rounds {
        _ = try client.request("reset", ["session": session])
        _ = try client.request("step", ["session": session, "design": design])
    }
    let protocolMicroseconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e3 / Double(2 * rounds)
    server.stop()
    began = DispatchTime.now().uptimeNanoseconds
    let raw = rawEchoMicroseconds(endpoint.hasPrefix("inproc") ? "inproc://designgym-raw" : endpoint, size: stepRequest.utf8.count, rounds: rounds)
    _ = began
    let scheme = String(endpoint.prefix { $0 != ":" })
    print("request round trip over \(scheme)".padding(toLength: 52, withPad: " ", startingAt: 0)
          + String(format: "%9.1f µs  (raw ZeroMQ echo of %d bytes: %.1f µs; ratio %.1f)", protocolMicroseconds,
                   stepRequest.utf8.count, raw, protocolMicroseconds / raw))
}
