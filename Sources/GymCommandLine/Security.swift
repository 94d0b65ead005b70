import ArgumentParser
import Foundation
import GymTransport

/// `--curve-secret` and `--curve-clients` of the commands that serve.
struct CurveServerOptions: ParsableArguments {
    @Option(help: "Encrypt and authenticate with CURVE using this server key file (from `gym keygen`).")
    var curveSecret: String?

    @Option(help: "With --curve-secret: admit only clients whose public key is a .pub file in this folder.")
    var curveClients: String?

    func settings() throws -> Curve.Server? {
        guard let curveSecret else {
            if curveClients != nil { throw CLIError("--curve-clients needs --curve-secret") }
            return nil
        }
        return try reportingErrors {
            try Curve.requireAvailable()
            return Curve.Server(keys: try Curve.readKeyPair(curveSecret), authorizedClients: try curveClients.map { try Curve.readPublicKeys(folder: $0) })
        }
    }
}

/// `--curve-server-key` and `--curve-secret` of a client (`gym run --remote`).
struct CurveClientOptions: ParsableArguments {
    @Option(help: "With --remote: the server's CURVE public key file (its .pub); the connection is encrypted.")
    var curveServerKey: String?

    @Option(help: "With --curve-server-key: this client's key file (default: a fresh key pair).")
    var curveSecret: String?

    func settings() throws -> Curve.Client? { try Self.settings(serverKey: curveServerKey, secret: curveSecret) }

    static func settings(serverKey: String?, secret: String?) throws -> Curve.Client? {
        guard let serverKey else {
            if secret != nil { throw CLIError("--curve-secret needs --curve-server-key") }
            return nil
        }
        return try reportingErrors {
            try Curve.requireAvailable()
            return Curve.Client(serverKey: try Curve.readPublicKey(serverKey), keys: try secret.map(Curve.readKeyPair))
        }
    }
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.pub (share it) and NAME.secret (keep it).",
        discussion: """
            Examples:
              gym keygen server && gym serve --curve-secret server.secret
              gym keygen alice  && mkdir clients && cp alice.pub clients/
              gym serve --curve-secret server.secret --curve-clients clients
              gym run --remote tcp://127.0.0.1:5555 --curve-server-key server.pub \\
                  --curve-secret alice.secret
            """)

    @Argument(help: "Path and name of the key files, without extension.")
    var name: String

    func run() throws {
        let pair = try reportingErrors { try Curve.generate() }
        try Curve.write(pair, to: name)
        print("Wrote \(name).pub (public: \(pair.publicKey)) and \(name).secret (keep it private).")
    }
}
