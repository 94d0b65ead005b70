import Foundation
import GymCore

/// The wire protocol `designgym/1`: one JSON object per ZeroMQ frame (see docs/PROTOCOL.md).
public enum WireProtocol {
    /// The protocol name every request carries.
    public static let name = "designgym/1"
    /// Requests above this many bytes get a `too_large` error.
    public static let defaultMessageLimit = 4 << 20
}

/// Why a request failed: the `code` of an error reply.
public enum ErrorCode: String, Codable, CaseIterable, Sendable {
    /// The frame is not a JSON object.
    case malformedJSON = "malformed_json"
    /// `protocol` is missing or is not `designgym/1`.
    case protocolMismatch = "protocol_mismatch"
    /// `op` is missing or unknown.
    case unknownOp = "unknown_op"
    /// A required argument is missing or has the wrong type.
    case badRequest = "bad_request"
    /// No environment has this id.
    case unknownEnvironment = "unknown_environment"
    /// No open session has this id.
    case unknownSession = "unknown_session"
    /// A workload or option the environment does not accept.
    case invalidOption = "invalid_option"
    /// The objective cannot be read or names an unknown metric.
    case invalidObjective = "invalid_objective"
    /// The design is not a valid point of the space; `details.parameter` names the parameter.
    case invalidDesign = "invalid_design"
    /// The session's episode has ended (or not started): call `reset`.
    case needsReset = "needs_reset"
    /// The environment failed in a way it could not report as an evaluation status.
    case evaluationFailed = "evaluation_failed"
    /// The request took longer than the server allows.
    case timeout
    /// The request is larger than the server's limit.
    case tooLarge = "too_large"
    /// The server has as many sessions as it allows.
    case serverBusy = "server_busy"
    /// The request names something its server does not give its clients: a file outside the folder the
    /// operator allowed, or a setting of the server's machine.
    case forbidden
    /// No open study has this id.
    case unknownStudy = "unknown_study"
    /// The agent is not registered.
    case unknownAgent = "unknown_agent"
    /// A hyperparameter the agent does not have, or a value it does not allow.
    case invalidHyperparameter = "invalid_hyperparameter"
    /// An observation the study cannot take: a design it never suggested, a metric missing, a spent budget.
    case invalidObservation = "invalid_observation"
    /// The server could not store what it was asked to log; the evaluation was not recorded.
    case storeFailed = "store_failed"
}

/// A failed request: code, message, and details such as the parameter at fault.
public struct ProtocolError: Error, Codable, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public var code: ErrorCode
    /// A sentence saying what was wrong and what is allowed.
    public var message: String
    /// Machine-readable details.
    public var details: [String: JSONValue]

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String, details: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// "code: message".
    public var description: String { "\(code.rawValue): \(message)" }
}

/// Encoding of replies and requests with sorted keys.
public enum WireJSON {
    /// A JSON value as compact text with sorted keys (the fast writer).
    public static func encode(_ value: JSONValue) -> Data { value.jsonData }

    /// A value as compact JSON text with sorted keys.
    public static func encode<Value: Encodable>(_ value: Value) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// A value as a JSON value.
    public static func value<Value: Encodable>(_ value: Value) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: encode(value))) ?? .null
    }

    /// A value read from a JSON value.
    public static func decode<Value: Decodable>(_ type: Value.Type, _ json: JSONValue) throws -> Value {
        try JSONDecoder().decode(type, from: encode(json))
    }
}
