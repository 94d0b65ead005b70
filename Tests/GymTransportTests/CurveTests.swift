import Foundation
import GymCatalog
import GymCore
import Testing
@testable import GymTransport

/// CURVE: encrypted sessions with the right server key, nothing with a wrong one, and an allow-list.
@Suite(.enabled(if: Curve.isAvailable, "libzmq without CURVE")) struct CurveTests {
    static func server(_ curve: Curve.Server) throws -> (GymServer, String) {
        let server = try GymServer(service: SessionService(registry: Catalog.registry, environments: ["Branin-v0"]),
                                   endpoint: "tcp://127.0.0.1:*", curve: curve)
        return (server, try server.start())
    }

    @Test func keyFilesRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pair = try Curve.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40 && pair.publicKey != pair.secretKey)
        try Curve.write(pair, to: folder.appendingPathComponent("server").path)
        #expect(try Curve.readKeyPair(folder.appendingPathComponent("server.secret").path) == pair)
        #expect(try Curve.readPublicKey(folder.appendingPathComponent("server.pub").path) == pair.publicKey)
        #expect(try Curve.readPublicKeys(folder: folder.path) == [pair.publicKey])
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("server.secret").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(throws: ProtocolError.self) { try Curve.readKeyPair(folder.appendingPathComponent("server.pub").path) }
    }

    @Test func onlyAClientWithTheServersKeyGetsAnAnswer() throws {
        let keys = try Curve.generate()
        let (server, endpoint) = try Self.server(Curve.Server(keys: keys))
        defer { server.stop() }
        let good = try GymClient(endpoint: endpoint, timeout: 5, curve: Curve.Client(serverKey: keys.publicKey))
        #expect(try good.request("ping") == ["pong": true])
        let remote = try RemoteEnvironment(endpoint: endpoint, environment: "Branin-v0", curve: Curve.Client(serverKey: keys.publicKey))
        #expect(remote.measure(remote.spec.space.defaultDesign).status == .ok)
        let wrong = try GymClient(endpoint: endpoint, timeout: 0.5, curve: Curve.Client(serverKey: try Curve.generate().publicKey))
        #expect(throws: ProtocolError.self) { try wrong.request("ping") }
        let plain = try GymClient(endpoint: endpoint, timeout: 0.5)
        #expect(throws: ProtocolError.self) { try plain.request("ping") }
    }

    @Test func workersReachACurveBrokerOnlyWithItsKey() throws {
        let keys = try Curve.generate()
        let pool = try WorkerPool(endpoint: "tcp://127.0.0.1:*", settings: .init(heartbeatInterval: 0.1), curve: Curve.Server(keys: keys))
        let endpoint = try pool.start()
        defer { pool.stop() }
        let outsider = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "outsider", heartbeatInterval: 0.1)
        Thread { _ = try? outsider.run() }.start()
        defer { outsider.stop() }
        #expect(!pool.waitForWorkers(1, timeout: 0.5))
        let member = GymWorker(endpoint: endpoint, registry: Catalog.registry, name: "member", heartbeatInterval: 0.1,
                               curve: Curve.Client(serverKey: keys.publicKey))
        Thread { _ = try? member.run() }.start()
        defer { member.stop() }
        #expect(pool.waitForWorkers(1, timeout: 10))
        let design = try Catalog.registry.makeEnvironment("Branin-v0").spec.space.defaultDesign
        #expect(pool.evaluate(environment: "Branin-v0", options: EnvironmentOptions(), design: design).status == .ok)
        #expect(pool.workerCount == 1)
    }

    @Test func anAllowListAdmitsOnlyItsClients() throws {
        let keys = try Curve.generate()
        let alice = try Curve.generate()
        let (server, endpoint) = try Self.server(Curve.Server(keys: keys, authorizedClients: [alice.publicKey]))
        defer { server.stop() }
        let admitted = try GymClient(endpoint: endpoint, timeout: 5, curve: Curve.Client(serverKey: keys.publicKey, keys: alice))
        #expect(try admitted.request("ping") == ["pong": true])
        let stranger = try GymClient(endpoint: endpoint, timeout: 0.5, curve: Curve.Client(serverKey: keys.publicKey))
        #expect(throws: ProtocolError.self) { try stranger.request("ping") }
    }
}
