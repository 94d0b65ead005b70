import Foundation
import GymCore

/// Reading a request's arguments: each of the wrong type is a `bad_request` naming it.
extension SessionService {
    /// The optional `seed`: a decimal string of any 64-bit seed, or a JSON whole number up to 2^53 (read
    /// from its text, so a larger one is refused rather than rounded).
    func seedArgument(_ request: Request) throws -> UInt64? {
        guard let value = request.fields["seed"], value != .null else { return nil }
        if case .string(let text) = value, let seed = UInt64(text) { return seed }
        let limit: UInt64 = 1 << 53
        if case .number = value, let text = request.text["seed"].map({ String(decoding: $0, as: UTF8.self) }),
           let seed = UInt64(text), seed <= limit {
            return seed
        }
        throw ProtocolError(.badRequest, "\"seed\" is a whole number from 0 to 2^53 (\(limit)), or a decimal string of any 64-bit seed such as \"18446744073709551615\"")
    }

    /// The optional string field `name`.
    func optionalString(_ request: Request, _ name: String) throws -> String? {
        switch request.fields[name] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard text.utf8.count <= 1024 else { throw ProtocolError(.badRequest, "\"\(name)\" is at most 1024 bytes") }
            return text
        default: throw ProtocolError(.badRequest, "\"\(name)\" is a string")
        }
    }

    /// `cache`: whether evaluations are read from and written to the evaluation cache (true unless false).
    func cacheArgument(_ request: Request) throws -> Bool {
        switch request.fields["cache"] {
        case nil, .null?: return true
        case .bool(let flag)?: return flag
        default: throw ProtocolError(.badRequest, "\"cache\" is true or false")
        }
    }

    /// The objective a request gives (compact text or JSON), with `failure_reward` applied; nil when none.
    func objectiveArgument(_ request: Request, spec: EnvironmentSpec) throws -> Objective? {
        var objective: Objective?
        switch request.fields["objective"] {
        case nil, .null?:
            break
        case .string(let text)?:
            objective = try readObjective { try Objective.parse(text) }
        case .object(let fields)?:
            objective = try readObjective { try WireJSON.decode(Objective.self, .object(fields)) }
        default:
            throw ProtocolError(.invalidObjective, "\"objective\" is a compact string such as \"latency:min\" or a JSON object")
        }
        switch request.fields["failure_reward"] {
        case nil, .null?:
            break
        case .number(let reward)?:
            var given = objective ?? spec.defaultObjective
            given.onFailure = .reward(reward)
            objective = given
        default:
            throw ProtocolError(.badRequest, "\"failure_reward\" is a number: the reward of an evaluation that is not ok")
        }
        return objective
    }

    func readObjective(_ body: () throws -> Objective) throws -> Objective {
        do {
            return try body()
        } catch let error as ObjectiveError {
            throw ProtocolError(.invalidObjective, error.description)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError(.invalidObjective, "cannot read the objective: \(error)")
        }
    }

    /// `settings`: what a client says its hyperparameters are, kept as the experiment's: numbers and
    /// strings as they are, anything else as its JSON text.
    func settingsArgument(_ request: Request) throws -> Design {
        switch request.fields["settings"] {
        case nil, .null?:
            return Design([:])
        case .object(let fields)?:
            var values: [String: ParameterValue] = [:]
            for (key, value) in fields {
                switch value {
                case .string(let text): values[key] = .string(text)
                case .number(let number): values[key] = number == number.rounded() && abs(number) < 9e15 ? .int(Int(number)) : .double(number)
                case .bool(let flag): values[key] = .string(flag ? "true" : "false")
                default: values[key] = .string(String(decoding: value.jsonData, as: UTF8.self))
                }
            }
            return Design(values)
        default:
            throw ProtocolError(.badRequest, "\"settings\" is an object of the client's hyperparameters, such as {\"n_startup_trials\": 10}")
        }
    }

    /// `hyperparameters`: values for a registered agent's hyperparameters (checked by the agent's space).
    func hyperparametersArgument(_ request: Request) throws -> [String: ParameterValue] {
        switch request.fields["hyperparameters"] {
        case nil, .null?:
            return [:]
        case .object(let fields)?:
            return try fields.mapValues { value in
                switch value {
                case .string(let text): return .string(text)
                case .bool(let flag): return .string(flag ? "true" : "false")
                case .number(let number): return number == number.rounded() && abs(number) < 9e15 ? .int(Int(number)) : .double(number)
                default: throw ProtocolError(.invalidHyperparameter, "hyperparameters are numbers, strings or booleans")
                }
            }
        default:
            throw ProtocolError(.badRequest, "\"hyperparameters\" is an object, such as {\"acquisition\": \"ei\"}")
        }
    }

    func designArgument(_ value: JSONValue?, name: String) throws -> Design {
        guard case .object(let fields)? = value else {
            throw ProtocolError(.badRequest, "\"\(name)\" must be a JSON object of parameter values")
        }
        var values: [String: ParameterValue] = [:]
        for (key, field) in fields {
            switch field {
            case .string(let text): values[key] = .string(text)
            case .bool(let flag): values[key] = .string(flag ? "true" : "false")
            case .number(let number):
                values[key] = number == number.rounded() && abs(number) < 9e15 ? .int(Int(number)) : .double(number)
            default:
                throw ProtocolError(.invalidDesign, "parameter '\(key)' must be a string or a number", details: ["parameter": .string(key)])
            }
        }
        return Design(values)
    }
}
