import ArgumentParser
import Dispatch
import Foundation
import GymCatalog
import GymTransport

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve environments over ZeroMQ (protocol designgym/1, see docs/PROTOCOL.md).",
        discussion: """
            Binds a ROUTER socket and serves many sessions at once until Ctrl-C. Only this machine can connect
            unless --allow-remote is given.
            Examples:
              gym serve --env Branin-v0 --env DiffusionSampler-v0 --bind tcp://127.0.0.1:5555
              gym run --remote tcp://127.0.0.1:5555 --env Branin-v0 --agent bayesian --budget 60
            """)

    @Option(name: .customLong("env"), help: "Environment to serve (repeatable); all registered ones when omitted.")
    var environments: [String] = []

    @Option(help: "Endpoint to bind, for example tcp://127.0.0.1:5555 or ipc:///tmp/gym.sock.")
    var bind: String = "tcp://127.0.0.1:5555"

    @Flag(help: "Allow binding to an address other machines can reach.")
    var allowRemote = false

    @Option(help: "Largest request accepted, in bytes.")
    var messageLimit: Int = 4 << 20

    @OptionGroup var curve: CurveServerOptions

    func run() throws {
        let registry = Catalog.registry
        for id in environments { _ = try reportingErrors { try registry.environment(id) } }
        let service = SessionService(registry: registry, environments: environments, messageLimit: messageLimit)
        let security = try curve.settings()
        let server = try reportingErrors { try GymServer(service: service, endpoint: bind, allowRemote: allowRemote, curve: security) }
        let endpoint = try reportingErrors { try server.start() }
        // Written unbuffered: scripts wait for this line to learn the endpoint.
        let banner = "Serving \(service.served.joined(separator: ", ")) on \(endpoint) (protocol designgym/1\(security == nil ? "" : ", CURVE")). Ctrl-C stops.\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        waitForInterrupt()
        server.stop()
        print("Stopped.")
    }
}
