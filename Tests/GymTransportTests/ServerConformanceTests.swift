import CZeroMQ
import Foundation
import GymCatalog
import GymCore
import GymTestSupport
import Testing
@testable import GymTransport

/// `gym check --remote`'s checks: DesignGym's own server passes them, and a server that answers everything
/// with "ok" does not.
@Suite struct ServerConformanceTests {
    @Test func designGymsOwnServerConforms() throws {
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0", "Knapsack-v0"])
        try withServer(service) { endpoint in
            for id in ["Branin-v0", "Knapsack-v0"] {
                let issues = ServerConformance.check(endpoint: endpoint, environment: id, samples: 6)
                #expect(issues.isEmpty, "\(issues)")
            }
        }
    }

    @Test func aServerThatSaysYesToEverythingFails() throws {
        // Replies ok, with a hello-like result, to every frame it gets. Its socket lives on its thread.
        let stop = Flag()
        let bound = DispatchSemaphore(value: 0)
        let boundEndpoint = Box()
        let thread = Thread {
            guard let socket = try? ZMQSocket(type: ZMQ_ROUTER), (try? socket.bind("tcp://127.0.0.1:*")) != nil else {
                bound.signal()
                return
            }
            boundEndpoint.value = socket.lastEndpoint
            bound.signal()
            while !stop.isSet {
                guard let frames = try? socket.receive(timeout: 50), frames.count >= 2 else { continue }
                var id: JSONValue = .null
                if case .object(let request)? = try? JSONValue.parse(frames.last!) { id = request["id"] ?? .null }
                let reply: JSONValue = .object(["id": id, "ok": true,
                                                "result": .object(["environments": .array(["Yes-v1"]), "protocol": "designgym/1"])])
                try? socket.send(Array(frames.dropLast()) + [reply.jsonData])
            }
        }
        thread.start()
        defer { stop.set() }
        bound.wait()
        let endpoint = try #require(boundEndpoint.value)
        let issues = ServerConformance.check(endpoint: endpoint, environment: "Yes-v1", samples: 2)
        let checks = Set(issues.map(\.check))
        #expect(checks.contains("refuses what it should"))
        #expect(checks.contains("serves a session"))
        #expect(checks.contains("builds with default options"))
    }
}

/// A value handed from one thread to another.
final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// A flag set once, read from another thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
