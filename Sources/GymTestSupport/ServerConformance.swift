import Foundation
import GymCore
import GymTransport

/// The checks a server must pass for each environment it serves, over the wire: `gym check --remote`.
///
/// It is how a host written in another language (a Python `designgym.serve`, or one of your own) proves
/// it speaks designgym/1's environment side. Two parts:
/// - the environment checks of `EnvironmentConformance`, run on a `RemoteEnvironment` that sends designs,
///   workloads and options unchecked, so the server's own validation is what is tested;
/// - the protocol itself: `hello` lists the environment, malformed, mismatched and unknown requests get
///   their error codes with the id echoed, an episode opens, resets and steps with observations of the
///   right length, a batch `evaluate` answers every design in order, invalid designs are `invalid_design`
///   naming the parameter, and a closed session is gone.
public enum ServerConformance {
    /// Runs every check for `environment` served at `endpoint`, on `workload` (the environment's default
    /// when nil); `samples` designs are evaluated (three times each for a deterministic environment).
    /// Returns the issues found, empty when it conforms.
    public static func check(endpoint: String, environment: String, workload: String? = nil, samples: Int = 24, seed: UInt64 = 2024,
                             curve: Curve.Client? = nil, timeout: Double = 600, connectTimeout: Double = GymClient.defaultConnectTimeout)
        -> [ConformanceIssue] {
        var list = IssueList(subject: environment)
        let client: GymClient
        do {
            client = try GymClient(endpoint: endpoint, timeout: timeout, curve: curve)
            let served = try client.handshake(timeout: connectTimeout)
            list.expect(served.contains(environment), "hello lists the environment", "hello lists \(served)")
        } catch {
            list.fail("answers hello", "\(error)")
            return list.issues
        }
        checkRefusals(client, list: &list)
        checkSession(client, environment: environment, workload: workload, list: &list)
        let entry = EnvironmentEntry(id: environment, summary: "served at \(endpoint)") { options in
            try RemoteEnvironment(endpoint: endpoint, environment: environment, options: options, timeout: timeout,
                                  connectTimeout: connectTimeout, curve: curve, validatesLocally: false)
        }.defaultingWorkload(to: workload)
        return list.issues + EnvironmentConformance.check(entry, samples: samples, seed: seed)
    }

    /// Requests the server must refuse, each with its error code and the request's id.
    private static func checkRefusals(_ client: GymClient, list: inout IssueList) {
        let cases: [(String, String, JSONValue)] = [
            ("this is not json", "malformed_json", .null),
            (#"{"protocol": "designgym/0", "id": "m", "op": "hello"}"#, "protocol_mismatch", .string("m")),
            (#"{"protocol": "designgym/1", "id": 18446744073709551615, "op": "teleport"}"#, "unknown_op", .null),
            (#"{"protocol": "designgym/1", "id": [1, "b"], "op": "step", "session": "no such session", "design": {}}"#, "unknown_session",
             .array([.number(1), .string("b")])),
            (#"{"protocol": "designgym/1", "id": 5, "op": "describe", "environment": "no such environment"}"#, "unknown_environment",
             .number(5)),
            (#"{"protocol": "designgym/1", "id": 6, "op": "describe"}"#, "bad_request", .number(6)),
        ]
        for (frame, code, id) in cases {
            do {
                let raw = try client.exchange(rawFrame: Data(frame.utf8), timeout: 30)
                guard case .object(let reply) = try JSONValue.parse(raw) else {
                    list.fail("replies are JSON objects", "\(frame) got \(String(decoding: raw.prefix(200), as: UTF8.self))")
                    continue
                }
                guard reply["ok"] == .bool(false), case .object(let error)? = reply["error"] else {
                    list.fail("refuses what it should", "\(frame) got \(reply)")
                    continue
                }
                list.expect(error["code"] == .string(code), "error codes", "\(frame) got code \(error["code"] ?? .null), expected \(code)")
                if case .string(let message)? = error["message"] {
                    list.expect(!message.isEmpty, "errors say what was wrong", "\(frame): empty message")
                } else {
                    list.fail("errors have a message", "\(frame): \(error)")
                }
                if code == "unknown_op" {
                    // The id is echoed exactly as written, digit for digit, not as the nearest double.
                    let text = JSONValue.topLevelFieldText("id", in: raw).map { String(decoding: $0, as: UTF8.self) }
                    list.expect(text == "18446744073709551615", "the id comes back as written", "came back as \(text ?? "nothing")")
                } else {
                    list.expect(reply["id"] == id, "the id comes back", "\(frame): id \(reply["id"] ?? .null), expected \(id)")
                }
            } catch {
                list.fail("answers every request", "\(frame): \(error)")
            }
        }
    }

    private static func isBool(_ value: JSONValue?) -> Bool {
        if case .bool? = value { return true }
        return false
    }

    /// A session: open, reset, step, a batch, an invalid design, close.
    private static func checkSession(_ client: GymClient, environment: String, workload: String?, list: inout IssueList) {
        do {
            var arguments: [String: JSONValue] = ["environment": .string(environment)]
            if let workload { arguments["workload"] = .string(workload) }
            let spec = try WireJSON.decode(EnvironmentSpec.self, try client.request("describe", arguments))
            arguments["seed"] = .string("3")
            guard case .object(let opened) = try client.request("open", arguments),
                  case .string(let session)? = opened["session"] else {
                list.fail("open gives a session", "no session id")
                return
            }
            let count = spec.metrics.count
            let reset = try client.request("reset", ["session": .string(session), "seed": .string("3")])
            if case .object(let fields) = reset, case .array(let observation)? = fields["observation"] {
                list.expect(observation.count == count, "reset observes every metric", "\(observation.count) values for \(count) metrics")
            } else {
                list.fail("reset gives an observation", "\(reset)")
            }
            let design = RemoteEnvironment.json(spec.space.defaultDesign)
            let step = try client.request("step", ["session": .string(session), "design": design])
            if case .object(let fields) = step {
                if case .array(let observation)? = fields["observation"] {
                    list.expect(observation.count == count, "step observes every metric", "\(observation.count) values for \(count) metrics")
                } else {
                    list.fail("step gives an observation", "\(step)")
                }
                list.expect(isBool(fields["terminated"]), "step says terminated", "\(step)")
                list.expect(isBool(fields["truncated"]), "step says truncated", "\(step)")
                list.expect(fields["reward"] != nil, "step gives a reward (null when there is none)", "\(step)")
                var status: EvaluationStatus?
                if case .string(let text)? = fields["status"] { status = EvaluationStatus(rawValue: text) }
                list.expect(status != nil, "step gives a status", "\(step)")
            } else {
                list.fail("step gives a result object", "\(step)")
            }
            let batch = try client.request("evaluate", ["session": .string(session), "designs": .array([design, design])])
            if case .object(let fields) = batch, case .array(let evaluations)? = fields["evaluations"] {
                list.expect(evaluations.count == 2, "evaluate answers every design", "\(evaluations.count) evaluations for 2 designs")
                for evaluation in evaluations {
                    list.expect((try? WireJSON.decode(Evaluation.self, evaluation)) != nil, "evaluations are readable", "\(evaluation)")
                }
            } else {
                list.fail("evaluate gives evaluations", "\(batch)")
            }
            if let first = spec.space.parameters.first {
                var bad = spec.space.defaultDesign
                bad[first.name] = nil
                do {
                    _ = try client.request("evaluate", ["session": .string(session), "designs": .array([design, RemoteEnvironment.json(bad)])])
                    list.fail("a design without a parameter is refused", "it was evaluated")
                } catch let error as ProtocolError {
                    list.expect(error.code == .invalidDesign, "invalid designs are invalid_design", "\(error)")
                    list.expect(error.details["parameter"] == .string(first.name), "invalid_design names the parameter",
                                "details \(error.details)")
                }
            }
            _ = try client.request("close", ["session": .string(session)])
            do {
                _ = try client.request("step", ["session": .string(session), "design": design])
                list.fail("a closed session is gone", "step after close was answered")
            } catch let error as ProtocolError {
                list.expect(error.code == .unknownSession, "a closed session is gone", "\(error)")
            }
        } catch {
            list.fail("serves a session", "\(error)")
        }
    }
}
