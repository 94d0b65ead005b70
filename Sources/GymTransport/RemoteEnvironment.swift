import Foundation
import GymCore

/// An environment whose evaluations happen on a DesignGym server: every agent can search it unchanged.
///
/// It opens one session on creation and closes it when the last copy is released. Designs are validated
/// locally against the served space first, so invalid designs throw `DesignError` as with a local
/// environment; unknown workloads and options throw `EnvironmentError`.
public struct RemoteEnvironment: Environment {
    /// The served environment's spec.
    public let spec: EnvironmentSpec
    private let session: RemoteSession

    /// Connects to `endpoint` and opens a session of `environment` with `options`. The server must answer
    /// within `connectTimeout` seconds; each request after that may take `timeout` seconds.
    public init(endpoint: String, environment: String, options: EnvironmentOptions = EnvironmentOptions(),
                objective: Objective? = nil, timeout: Double = 600, connectTimeout: Double = GymClient.defaultConnectTimeout,
                curve: Curve.Client? = nil) throws {
        let client = try GymClient(endpoint: endpoint, timeout: timeout, curve: curve)
        try client.handshake(timeout: connectTimeout)
        let base: [String: JSONValue] = ["environment": .string(environment), "seed": .string(String(options.seed))]
        // Check the workload and options against the served spec first, for the same errors as a local environment.
        let defaults = try WireJSON.decode(EnvironmentSpec.self, try client.request("describe", base))
        _ = try defaults.resolveWorkload(options)
        var arguments = base
        if let workload = options.workload { arguments["workload"] = .string(workload) }
        if !options.values.isEmpty { arguments["options"] = .object(options.values.mapValues(JSONValue.string)) }
        spec = try WireJSON.decode(EnvironmentSpec.self, try client.request("describe", arguments))
        if let objective { arguments["objective"] = WireJSON.value(objective) }
        guard case .object(let opened) = try client.request("open", arguments), case .string(let id)? = opened["session"] else {
            throw ProtocolError(.badRequest, "the server's reply to \"open\" has no session id")
        }
        session = RemoteSession(client: client, id: id)
    }

    /// Evaluates `design` on the server.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let canonical = try spec.space.validate(design)
        let result = try session.client.request("evaluate", ["session": .string(session.id), "designs": .array([Self.json(canonical)])])
        guard case .object(let fields) = result, case .array(let evaluations)? = fields["evaluations"], let first = evaluations.first else {
            throw ProtocolError(.evaluationFailed, "the server's reply to \"evaluate\" has no evaluations")
        }
        return try WireJSON.decode(Evaluation.self, first)
    }

    /// A design as a JSON object.
    public static func json(_ design: Design) -> JSONValue {
        .object(design.values.mapValues { value in
            switch value {
            case .string(let text): return .string(text)
            case .int(let number): return .number(Double(number))
            case .double(let number): return .number(number)
            }
        })
    }
}

/// Closes its session when released.
final class RemoteSession: @unchecked Sendable {
    let client: GymClient
    let id: String

    init(client: GymClient, id: String) {
        self.client = client
        self.id = id
    }

    deinit { _ = try? client.request("close", ["session": .string(id)], timeout: 2) }
}
