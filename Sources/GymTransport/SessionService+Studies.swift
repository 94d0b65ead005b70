import Experiments
import Foundation
import GymCore
import GymStore

/// Studies: a registered agent suggests designs, the client (or, on request, the server) evaluates them,
/// and every observation is logged; `open_study` with `resume` continues a study after a restart.
extension SessionService {
    func openStudy(_ request: Request) throws -> JSONValue {
        guard let store = settings.store, let writer else {
            throw ProtocolError(.badRequest, "studies are logged, and this server has no database: start it with --db FILE")
        }
        let fields = request.fields
        let session = Session(key: "study")
        let study: Study
        if let resume = fields["resume"], resume != .null {
            guard case .number(let number) = resume, number >= 1, number == number.rounded(), number < 9e15 else {
                throw ProtocolError(.badRequest, "\"resume\" is the experiment id of a study, a whole number")
            }
            study = try studyErrors { try Study.resume(Int64(number), registry: registry, store: store, writer: writer) }
            if served.contains(study.log.record.environmentID) {
                session.environment = try? makeLimited(study.log.record.environmentID, options: study.log.record.environmentOptions)
            }
        } else {
            guard case .string(let agentID)? = fields["agent"] else {
                throw ProtocolError(.badRequest, "\"open_study\" needs \"agent\": one of \(registry.agents.map(\.id).joined(separator: ", "))")
            }
            guard (try? registry.agent(agentID)) != nil else {
                throw ProtocolError(.unknownAgent, "unknown agent \"\(agentID)\"; the agents are: \(registry.agents.map(\.id).joined(separator: ", "))",
                                    details: ["agent": .string(agentID)])
            }
            let spec: EnvironmentSpec
            var options = EnvironmentOptions(seed: try seedArgument(request) ?? 0)
            if fields["environment"] != nil && fields["environment"] != .null {
                guard fields["space"] == nil else {
                    throw ProtocolError(.badRequest, "give either \"environment\" (a served one) or \"space\" and \"metrics\" (your own), not both")
                }
                let (id, admitted) = try environmentArguments(request)
                options = admitted
                let environment = try makeLimited(id, options: options)
                session.environment = environment
                spec = environment.spec
            } else {
                spec = try declaredSpec(request)
            }
            guard var objective = try objectiveArgument(request, spec: spec) ?? (fields["space"] == nil ? spec.defaultObjective : nil) else {
                throw ProtocolError(.invalidObjective, "a study of your own space needs \"objective\", such as \"latency:min\"")
            }
            objective = try readObjective { try objective.resolved(against: spec.metrics) }
            var budget: Int?
            if let value = fields["budget"], value != .null {
                guard case .number(let number) = value, number >= 1, number == number.rounded(), number <= 1e9 else {
                    throw ProtocolError(.badRequest, "\"budget\" is a whole number of evaluations from 1 to 10^9")
                }
                budget = Int(number)
            }
            let hyperparameters = try hyperparametersArgument(request)
            study = try studyErrors {
                try Study.start(registry: registry, store: store, writer: writer, spec: spec, options: options, objective: objective,
                                agentID: agentID, hyperparameters: hyperparameters, seed: try seedArgument(request) ?? 0, budget: budget,
                                name: try optionalString(request, "name"), usesCache: try cacheArgument(request))
            }
        }
        session.study = study
        session.log = study.log
        let key: String
        do {
            key = try register(session, prefix: "t")
        } catch {
            study.log.finish(.interrupted)
            throw error
        }
        let record = study.log.record
        return .object([
            "study": .string(key), "experiment": .number(Double(study.log.id)), "agent": .string(record.agentID),
            "objective": .string(record.objective.description), "space": WireJSON.value(record.environmentSpec.space),
            "budget": record.budgetEvaluations.map { .number(Double($0)) } ?? .null,
            "observed": .number(Double(study.observedCount)),
            "pending": .array(study.pendingDesigns.map { pendingJSON($0) }),
            "can_evaluate": .bool(session.environment != nil),
        ])
    }

    func suggest(_ request: Request, _ session: Session, _ study: Study) throws -> JSONValue {
        var count = 1
        if let value = request.fields["count"], value != .null {
            guard case .number(let number) = value, number >= 1, number == number.rounded(), number <= 10_000 else {
                throw ProtocolError(.badRequest, "\"count\" is a whole number from 1 to 10000")
            }
            count = Int(number)
        }
        var evaluateHere = false
        if let value = request.fields["evaluate"], value != .null {
            guard case .bool(let flag) = value else { throw ProtocolError(.badRequest, "\"evaluate\" is true or false") }
            evaluateHere = flag
        }
        if evaluateHere && session.environment == nil {
            throw ProtocolError(.badRequest, "this study has no served environment to evaluate on; evaluate its designs yourself and \"observe\" them")
        }
        let suggested = try studyErrors { try study.suggest(count) }
        var result: [String: JSONValue] = ["designs": .array(suggested.map { RemoteEnvironment.json($0.design) }),
                                           "numbers": .array(suggested.map { .number(Double($0.number)) })]
        if evaluateHere, let environment = session.environment {
            let measured = try measureBatch(suggested.map(\.design), on: environment, log: study.log)
            let observations = zip(suggested, measured).map { pending, result in
                Study.Observation(design: pending.design, evaluation: result.evaluation, measuredByClient: false,
                                  startedAt: result.started, worker: result.cached ? "cache" : settings.workerName, cached: result.cached)
            }
            let trials = try studyErrors { try study.observe(observations) }
            try committed(study.log)
            result["evaluations"] = .array(trials.map { Self.encode($0.evaluation, reward: $0.reward) })
            result["complete"] = .bool(study.isComplete)
        } else {
            try committed(study.log)
        }
        return .object(result)
    }

    func observe(_ request: Request, _ study: Study) throws -> JSONValue {
        guard case .array(let items)? = request.fields["trials"] else {
            throw ProtocolError(.badRequest, "\"observe\" needs \"trials\": a list of {\"design\", \"metrics\", \"status\"} or {\"design\", \"reward\"}")
        }
        let observations = try items.enumerated().map { index, item -> Study.Observation in
            guard case .object(let trial) = item else {
                throw ProtocolError(.badRequest, "trials[\(index)] must be an object with \"design\" and \"metrics\" (or \"reward\")")
            }
            let design = try designArgument(trial["design"], name: "trials[\(index)].design")
            if let reward = trial["reward"], reward != .null {
                switch reward {
                case .number(let value): return Study.Observation(design: design, rewards: [value])
                case .array(let values):
                    return Study.Observation(design: design, rewards: try values.map { value -> Double in
                        guard case .number(let number) = value else { throw ProtocolError(.badRequest, "trials[\(index)].reward holds a value that is not a number") }
                        return number
                    })
                default: throw ProtocolError(.badRequest, "trials[\(index)].reward is a number (or, for a Pareto objective, a list of numbers)")
                }
            }
            var status = EvaluationStatus.ok
            if let value = trial["status"], value != .null {
                guard case .string(let text) = value, let given = EvaluationStatus(rawValue: text) else {
                    throw ProtocolError(.badRequest, "trials[\(index)].status is one of ok, infeasible, failed, timeout")
                }
                status = given
            }
            var metrics: [String: Double] = [:]
            switch trial["metrics"] {
            case nil, .null?:
                if status == .ok { throw ProtocolError(.badRequest, "trials[\(index)] is ok and needs \"metrics\" (or give \"reward\" instead)") }
            case .object(let values)?:
                for (name, value) in values {
                    guard case .number(let number) = value else {
                        throw ProtocolError(.badRequest, "trials[\(index)].metrics.\(name) is not a number")
                    }
                    metrics[name] = number
                }
            default:
                throw ProtocolError(.badRequest, "trials[\(index)].metrics is an object of numbers")
            }
            var message: String?
            if case .string(let text)? = trial["message"] { message = text }
            var wallTime = 0.0
            if case .number(let seconds)? = trial["wall_time"], seconds.isFinite, seconds >= 0 { wallTime = seconds }
            return Study.Observation(design: design, evaluation: Evaluation(status: status, metrics: metrics, wallTime: wallTime, message: message))
        }
        let trials = try studyErrors { try study.observe(observations) }
        try committed(study.log)
        return .object(["observed": .number(Double(trials.count)), "numbers": .array(trials.map { .number(Double($0.number)) }),
                        "rewards": .array(trials.map { $0.reward.map(JSONValue.number) ?? .null }),
                        "complete": .bool(study.isComplete)])
    }

    /// The space and metrics a client declares for a study of its own simulator, in `describe`'s form.
    private func declaredSpec(_ request: Request) throws -> EnvironmentSpec {
        let fields = request.fields
        guard let spaceValue = fields["space"], let metricsValue = fields["metrics"] else {
            throw ProtocolError(.badRequest, "\"open_study\" needs \"environment\" (a served one), or \"space\" and \"metrics\" in the form \"describe\" returns")
        }
        let space: ParameterSpace
        do {
            space = try WireJSON.decode(ParameterSpace.self, spaceValue)
        } catch {
            throw ProtocolError(.badRequest, "\"space\" is not a parameter space: \((error as? DecodingError)?.plainDescription ?? "\(error)"); see \"describe\" for the form")
        }
        guard !space.parameters.isEmpty else { throw ProtocolError(.badRequest, "\"space\" has no parameters") }
        let metrics: [MetricSpec]
        do {
            metrics = try WireJSON.decode([MetricSpec].self, metricsValue)
        } catch {
            throw ProtocolError(.badRequest, "\"metrics\" is a list of {\"name\", \"unit\", \"goal\"}: \((error as? DecodingError)?.plainDescription ?? "\(error)")")
        }
        guard !metrics.isEmpty, Set(metrics.map(\.name)).count == metrics.count else {
            throw ProtocolError(.badRequest, "\"metrics\" must name at least one metric, each once")
        }
        var id = "Script-v0"
        if let given = try optionalString(request, "simulator") {
            guard given.range(of: #"^[A-Za-z][A-Za-z0-9_.]*-v[0-9]+$"#, options: .regularExpression) != nil else {
                throw ProtocolError(.badRequest, "\"simulator\" names your simulator as Name-vN (letters, digits, _ and ., then -v and its version), not \"\(given)\"")
            }
            id = given
        }
        return EnvironmentSpec(id: id, summary: "a simulator evaluated by the study's client", space: space, metrics: metrics,
                               workloads: [WorkloadSpec(name: "default", summary: "the client's")], workload: "default",
                               defaultObjective: .metric(metrics[0].name, metrics[0].goal))
    }

    private func pendingJSON(_ pending: Study.PendingDesign) -> JSONValue {
        .object(["number": .number(Double(pending.number)), "design": RemoteEnvironment.json(pending.design)])
    }

    func withStudy<T>(_ request: Request, _ body: (Session, Study) throws -> T) throws -> T {
        guard case .string(let key)? = request.fields["study"] else {
            throw ProtocolError(.badRequest, "this op needs \"study\": the id \"open_study\" returned")
        }
        lock.lock()
        let session = sessions[key]
        lock.unlock()
        guard let session, let study = session.study else { throw unknownStudy(key) }
        session.lock.lock()
        defer { session.lock.unlock() }
        return try body(session, study)
    }

    func unknownStudy(_ key: String) -> ProtocolError {
        ProtocolError(.unknownStudy, "no open study \"\(key)\"; \"open_study\" one first (with \"resume\" to continue a logged one)",
                      details: ["study": .string(key)])
    }

    /// Runs a study step, turning its errors into the protocol's.
    private func studyErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ProtocolError {
            throw error
        } catch let error as StudyError {
            switch error {
            case .invalidDesign(let index, let designError):
                var details: [String: JSONValue] = ["index": .number(Double(index))]
                if let parameter = designError.parameter { details["parameter"] = .string(parameter) }
                throw ProtocolError(.invalidDesign, error.description, details: details)
            case .invalid:
                throw ProtocolError(.badRequest, error.description)
            default:
                throw ProtocolError(.invalidObservation, error.description)
            }
        } catch let error as DesignError {
            throw ProtocolError(.invalidHyperparameter, "hyperparameter \(error.description)", details: error.parameter.map { ["hyperparameter": .string($0)] } ?? [:])
        } catch let error as StoreError {
            throw ProtocolError(.storeFailed, error.description)
        } catch let error as RegistryError {
            throw ProtocolError(.unknownAgent, error.description)
        }
    }
}
