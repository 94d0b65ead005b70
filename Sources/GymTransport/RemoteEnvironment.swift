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
    private let validatesLocally: Bool
    /// Seconds without any sign of life from the server before an evaluation gives up (`EnvironmentUnreachable`).
    private let remoteTimeout: Double

    /// Connects to `endpoint` and opens a session of `environment` with `options`. The server must answer
    /// within `connectTimeout` seconds; each request after that may take `timeout` seconds. An evaluation
    /// waits as long as the server answers pings, reopens its session and sends the design again when the
    /// server lost it (a broker that restarted), and throws `EnvironmentUnreachable` only after `timeout`
    /// seconds without any reply: a transport fault is never an evaluation. With
    /// `validatesLocally` false, workloads, options and designs go to the server unchecked, and its
    /// refusals come back as the errors a local environment throws (`gym check --remote` tests a
    /// server's own checks this way).
    public init(endpoint: String, environment: String, options: EnvironmentOptions = EnvironmentOptions(),
                objective: Objective? = nil, timeout: Double = 600, connectTimeout: Double = GymClient.defaultConnectTimeout,
                curve: Curve.Client? = nil, validatesLocally: Bool = true) throws {
        let client = try GymClient(endpoint: endpoint, timeout: timeout, curve: curve)
        try client.handshake(timeout: connectTimeout)
        let base: [String: JSONValue] = ["environment": .string(environment), "seed": .string(String(options.seed))]
        // Check the workload and options against the served spec first, for the same errors as a local environment.
        let defaults = try WireJSON.decode(EnvironmentSpec.self, try client.request("describe", base))
        if validatesLocally { _ = try defaults.resolveWorkload(options) }
        var arguments = base
        if let workload = options.workload { arguments["workload"] = .string(workload) }
        if !options.values.isEmpty { arguments["options"] = .object(options.values.mapValues(JSONValue.string)) }
        do {
            spec = try WireJSON.decode(EnvironmentSpec.self, try client.request("describe", arguments))
        } catch let error as ProtocolError where error.code == .invalidOption {
            throw Self.environmentError(error, spec: defaults)
        }
        if let objective { arguments["objective"] = WireJSON.value(objective) }
        guard case .object(let opened) = try client.request("open", arguments), case .string(let id)? = opened["session"] else {
            throw ProtocolError(.badRequest, "the server's reply to \"open\" has no session id")
        }
        session = RemoteSession(client: client, id: id, opening: arguments)
        self.validatesLocally = validatesLocally
        remoteTimeout = timeout
    }

    /// Evaluates `design` on the server.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let sent = validatesLocally ? try spec.space.validate(design) : design
        var result: JSONValue?
        while result == nil {
            let id = session.id
            do {
                result = try session.client.request("evaluate", ["session": .string(id), "designs": .array([Self.json(sent)])], session: id,
                                                    probeInterval: min(2, remoteTimeout / 4), silence: remoteTimeout)
            } catch let error as ProtocolError where error.code == .invalidDesign {
                throw Self.designError(error, design: design, spec: spec)
            } catch let error as ProtocolError where error.code == .unknownSession {
                // The server answers but lost the session and what it was doing: open it again, send again.
                try session.reopen(lost: error, within: remoteTimeout)
            } catch let error as ProtocolError where error.code == .timeout {
                throw EnvironmentUnreachable("\(error.message); the evaluation did not happen (wait longer with --remote-timeout)")
            }
        }
        guard let result else { throw ProtocolError(.evaluationFailed, "no reply") }
        guard case .object(let fields) = result, case .array(let evaluations)? = fields["evaluations"], let first = evaluations.first else {
            throw ProtocolError(.evaluationFailed, "the server's reply to \"evaluate\" has no evaluations")
        }
        // A server in another language might claim ok without the metrics; nothing downstream scores that.
        return try WireJSON.decode(Evaluation.self, first).checked(against: spec.metrics, from: "the server")
    }

    /// The `DesignError` a server's `invalid_design` reply stands for: about the parameter its details name.
    static func designError(_ error: ProtocolError, design: Design, spec: EnvironmentSpec) -> any Error {
        guard case .string(let name)? = error.details["parameter"] else { return error }
        let known = spec.space.parameters.map(\.name)
        if !known.contains(name) { return DesignError.unknownParameter(name, known: known) }
        guard let value = design[name] else { return DesignError.missingParameter(name) }
        return DesignError.invalidValue(parameter: name, value: value, allowed: error.message)
    }

    /// The `EnvironmentError` a server's `invalid_option` reply stands for, when its details name the
    /// workload or option.
    static func environmentError(_ error: ProtocolError, spec: EnvironmentSpec) -> any Error {
        if case .string(let name)? = error.details["workload"] {
            return EnvironmentError.unknownWorkload(name, environment: spec.id, known: spec.workloads.map(\.name))
        }
        if case .string(let key)? = error.details["option"] {
            if !spec.options.contains(where: { $0.key == key }) {
                return EnvironmentError.unknownOption(key, environment: spec.id, known: spec.options.map(\.key))
            }
            return EnvironmentError.invalidOption(key: key, value: "", reason: error.message)
        }
        return error
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

/// Closes its session when released; opens it again when the server has lost it.
final class RemoteSession: @unchecked Sendable {
    let client: GymClient
    private let lock = NSLock()
    private var current: String
    /// The arguments of `open`, to open the session again.
    private let opening: [String: JSONValue]

    init(client: GymClient, id: String, opening: [String: JSONValue]) {
        self.client = client
        current = id
        self.opening = opening
    }

    /// The session's id on the server.
    var id: String {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Opens the session again after the server said it no longer has it (`lost`), trying for at most
    /// `seconds` while the server does not answer; throws `EnvironmentUnreachable` when it cannot.
    func reopen(lost: ProtocolError, within seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                guard case .object(let opened) = try client.request("open", opening, timeout: max(0.1, min(5, deadline.timeIntervalSinceNow))),
                      case .string(let id)? = opened["session"] else {
                    throw EnvironmentUnreachable("\(client.endpoint) lost the session and its reply to \"open\" has no session id")
                }
                lock.lock()
                current = id
                lock.unlock()
                return
            } catch let error as ProtocolError where error.code == .timeout || error.code == .serverBusy {
                guard deadline.timeIntervalSinceNow > 0 else {
                    throw EnvironmentUnreachable("\(lost.message), and \(client.endpoint) did not let the session be opened again within \(Parameter.numberText(seconds)) s")
                }
                Thread.sleep(forTimeInterval: 0.2)
            } catch let error as ProtocolError {
                throw EnvironmentUnreachable("\(lost.message), and opening it again was refused: \(error.message)")
            }
        }
    }

    deinit { _ = try? client.request("close", ["session": .string(id)], timeout: 2) }
}
