import CZeroMQ
import Foundation
import GymCatalog
import GymCore
import GymTestSupport
import Testing
@testable import GymTransport

/// A server on a free loopback port, stopped when the test's closure returns.
func withServer<T>(_ service: SessionService = SessionService(registry: Catalog.registry),
                   _ body: (String) throws -> T) throws -> T {
    let server = try GymServer(service: service, endpoint: "tcp://127.0.0.1:*")
    let endpoint = try server.start()
    defer { server.stop() }
    return try body(endpoint)
}

@Suite struct ServerTests {
    @Test func aSessionRunsOverTheWire() throws {
        try withServer { endpoint in
            let client = try GymClient(endpoint: endpoint, timeout: 10)
            guard case .object(let hello) = try client.request("hello") else { Issue.record("no hello"); return }
            #expect(hello["protocol"] == .string("designgym/1"))
            guard case .object(let opened) = try client.request("open", ["environment": "Knapsack-v0"]),
                  case .string(let session)? = opened["session"] else { Issue.record("no session"); return }
            _ = try client.request("reset", ["session": .string(session)])
            let design: JSONValue = .object(["item1": 0, "item2": 0, "item3": 0, "item4": 3, "item5": 2, "item6": 3, "item7": 0, "item8": 1])
            guard case .object(let step) = try client.request("step", ["session": .string(session), "design": design]) else { return }
            // The knapsack optimum: value 68 at 30 kg.
            #expect(step["observation"] == .array([68, 30]))
            #expect(step["reward"] == .number(68))
            #expect(step["terminated"] == .bool(true))
            #expect(throws: ProtocolError.self) { try client.request("step", ["session": .string(session), "design": design]) }
            _ = try client.request("close", ["session": .string(session)])
        }
    }

    @Test func malformedFramesGetErrorRepliesAndTheServerKeepsServing() throws {
        let service = SessionService(registry: Catalog.registry, messageLimit: 2048)
        try withServer(service) { endpoint in
            let client = try GymClient(endpoint: endpoint, timeout: 10)
            guard case .object(let opened) = try client.request("open", ["environment": "Branin-v0"]),
                  case .string(let session)? = opened["session"] else { return }
            let raw = try ZMQSocket(type: ZMQ_DEALER)
            try raw.connect(endpoint)
            var generator = SeededGenerator(seed: 17)
            let frames: [Data] = [
                Data("not json".utf8), Data(), Data("[1, 2, 3]".utf8), Data("{\"protocol\": 5}".utf8),
                Data("{\"protocol\": \"designgym/1\", \"op\": \"step\", \"session\": 12, \"id\": 1}".utf8),
                Data("{\"protocol\": \"designgym/1\", \"op\": \"open\", \"environment\": \"Branin-v0\", \"episode_length\": 1e300}".utf8),
                Data("{\"protocol\": \"designgym/1\", \"op\": \"step\", \"session\": \"\(session)\", \"design\": {\"x1\": [1]}}".utf8),
                Data("{\"protocol\": \"designgym/1\", \"op\": \"step\", \"session\": \"\(session)\", \"design\": {\"x1\": 1e308".utf8),
                Data(repeating: UInt8(ascii: "{"), count: 3000),
            ] + (0..<2000).map { index in fuzzFrame(index, session: session, using: &generator) }
            for (index, frame) in frames.enumerated() {
                try raw.send([frame])
                let reply = try #require(try raw.receive(timeout: 5000), "no reply to frame \(index)")
                let json = try JSONDecoder().decode(JSONValue.self, from: reply.last!)
                guard case .object(let fields) = json else { Issue.record("reply is not an object"); continue }
                #expect(fields["ok"] == .bool(true) || fields["ok"] == .bool(false), "frame \(index): reply without ok")
                // The fixed frames and the random, truncated and nonsense-design kinds are always invalid;
                // the wrong-type kinds are sometimes valid (a ping ignores unknown fields).
                let kind = (index - 9) % 5
                if index < 9 || [0, 1, 3].contains(kind) {
                    #expect(fields["ok"] == .bool(false), "frame \(index) was accepted")
                }
                // Interleaved, a well-formed session still gets correct answers.
                if index % 100 == 0 {
                    _ = try client.request("reset", ["session": .string(session)])
                    guard case .object(let step) = try client.request("step", [
                        "session": .string(session), "design": ["x1": 0, "x2_steps": 0, "variant": "standard"],
                    ]) else { continue }
                    #expect(matches(step["reward"]!, .number(-55.602112642270264)))
                }
            }
            #expect(try client.request("ping") == .object(["pong": .bool(true)]))
        }
    }

    @Test func requestsAboveTheLimitAndSessionsAboveTheCapAreRefused() throws {
        let service = SessionService(registry: Catalog.registry, messageLimit: 200, sessionLimit: 1)
        let big = Data(("{\"protocol\": \"designgym/1\", \"op\": \"ping\", \"pad\": \"" + String(repeating: "x", count: 300) + "\"}").utf8)
        let reply = try JSONDecoder().decode(JSONValue.self, from: service.handle(big))
        guard case .object(let fields) = reply, case .object(let error)? = fields["error"] else { Issue.record("no error"); return }
        #expect(error["code"] == .string("too_large"))
        let open = Data("{\"protocol\": \"designgym/1\", \"op\": \"open\", \"environment\": \"Branin-v0\"}".utf8)
        _ = service.handle(open)
        let second = try JSONDecoder().decode(JSONValue.self, from: service.handle(open))
        guard case .object(let secondFields) = second, case .object(let busy)? = secondFields["error"] else { Issue.record("no error"); return }
        #expect(busy["code"] == .string("server_busy"))
    }

    @Test func onlyLocalEndpointsAreServedWithoutPermission() throws {
        let service = SessionService(registry: Catalog.registry)
        #expect(throws: ProtocolError.self) { try GymServer(service: service, endpoint: "tcp://0.0.0.0:5555") }
        #expect(throws: ProtocolError.self) { try GymServer(service: service, endpoint: "tcp://192.0.2.1:5555") }
        for endpoint in ["tcp://127.0.0.1:5555", "tcp://localhost:1", "ipc:///tmp/x", "inproc://gym", "tcp://[::1]:9"] {
            #expect(GymServer.isLocal(endpoint), "\(endpoint)")
        }
        _ = try GymServer(service: service, endpoint: "tcp://0.0.0.0:5555", allowRemote: true)
    }

    @Test func aClientTimesOutWithAClearError() throws {
        let client = try GymClient(endpoint: "tcp://127.0.0.1:9", timeout: 0.2)
        #expect(throws: ProtocolError.self) { try client.request("ping") }
    }

    @Test(arguments: ["Branin-v0", "Knapsack-v0", "ZDT1-v0"])
    func remoteEnvironmentsPassTheConformanceSuite(_ id: String) throws {
        try withServer { endpoint in
            let entry = EnvironmentEntry(id: id, summary: "remote") { options in
                try RemoteEnvironment(endpoint: endpoint, environment: id, options: options, timeout: 10)
            }
            let issues = EnvironmentConformance.check(entry, samples: 12)
            #expect(issues.isEmpty, "\(issues.map(\.description).joined(separator: "\n"))")
            // Remote and local evaluations agree.
            let local = try Catalog.registry.makeEnvironment(id)
            let remote = try entry.make(EnvironmentOptions())
            var generator = SeededGenerator(seed: 3)
            for _ in 0..<10 {
                let design = local.spec.space.sample(using: &generator)
                let a = local.measure(design), b = remote.measure(design)
                #expect(a.status == b.status && a.metrics == b.metrics)
            }
        }
    }
}


/// A bad request of one of several kinds: random bytes, truncated JSON, wrong types, huge numbers,
/// unknown ops and fields, designs with nonsense values.
func fuzzFrame(_ index: Int, session: String, using generator: inout SeededGenerator) -> Data {
    let ops = ["hello", "describe", "open", "reset", "step", "evaluate", "close", "ping", "", "STEP", "drop"]
    let junk: [String] = ["null", "true", "-1", "1e309", "-1e400", "18446744073709551616", "\"\"", "[]", "{}", "[[[[]]]]",
                          "\"\\u0000\"", "3.5", "\"s999\""]
    func pick<T>(_ list: [T]) -> T { list[generator.nextInt(below: list.count)] }
    switch index % 5 {
    case 0:
        return Data((0..<generator.nextInt(below: 96)).map { _ in UInt8(generator.nextInt(below: 256)) })
    case 1:
        let text = "{\"protocol\": \"designgym/1\", \"op\": \"step\", \"session\": \"\(session)\", \"design\": {\"x1\": 1}}"
        return Data(text.utf8.prefix(generator.nextInt(below: text.utf8.count)))  // truncated
    case 2:
        // A valid-looking op with one argument of the wrong type (the op needs more than it gets, or junk).
        let text = "{\"protocol\": \"designgym/1\", \"id\": \(pick(junk)), \"op\": \"\(pick(ops))\", \"session\": \(pick(junk)), \"environment\": \(pick(junk)), \"design\": \(pick(junk)), \"designs\": \(pick(junk)), \"seed\": \(pick(junk)), \"unknown_field\": \(pick(junk))}"
        return Data(text.utf8)
    case 3:
        // A real session, a design with nonsense values.
        let text = "{\"protocol\": \"designgym/1\", \"id\": \(index), \"op\": \"step\", \"session\": \"\(session)\", \"design\": {\"x1\": \(pick(junk)), \"x2_steps\": \(pick(junk)), \"variant\": \(pick(junk)), \"extra\": 1}}"
        return Data(text.utf8)
    default:
        let text = "{\"protocol\": \(pick(junk)), \"id\": \(index), \"op\": \(pick(junk))}"
        return Data(text.utf8)
    }
}
