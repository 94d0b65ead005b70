import Experiments
import Foundation
import GymCore
import GymStore

/// Environment sessions: `open`, `reset`, `step`, `evaluate`, each logged when the server has a store.
extension SessionService {
    func open(_ request: Request) throws -> JSONValue {
        let fields = request.fields
        let (id, options) = try environmentArguments(request)
        let environment = try makeLimited(id, options: options)
        var objective = try objectiveArgument(request, spec: environment.spec) ?? environment.spec.defaultObjective
        objective = try readObjective { try objective.resolved(against: environment.spec.metrics) }
        var length = 1
        if let value = fields["episode_length"], value != .null {
            guard case .number(let number) = value, number >= 1, number == number.rounded(), number <= 1_000_000 else {
                throw ProtocolError(.badRequest, "\"episode_length\" is a whole number from 1 to 1000000")
            }
            length = Int(number)
        }
        let session = Session(key: "session")
        session.episode = Episode(environment: environment, objective: objective, length: length)
        session.environmentID = id
        session.options = options
        if let store = settings.store, let writer {
            // What the client says about itself becomes the experiment's agent, settings and name.
            var record = ExperimentRecord(
                name: try optionalString(request, "name"), environmentSpec: environment.spec, environmentOptions: options,
                objective: objective, agentID: try optionalString(request, "agent") ?? "client",
                hyperparameters: try settingsArgument(request), seed: options.seed, budgetEvaluations: nil, budgetSeconds: nil,
                batchSize: 1, parallelism: 1, usesCache: try cacheArgument(request), host: ProcessInfo.processInfo.hostName,
                softwareVersion: DesignGym.version)
            record.driver = .session
            do {
                session.log = try ExperimentLog(creating: record, store: store, writer: writer)
            } catch {
                throw ProtocolError(.storeFailed, "the server could not log the session: \(error)")
            }
        }
        let key: String
        do {
            key = try register(session, prefix: "s")
        } catch {
            session.log?.finish(.failed, error: "the server refused the session: \(error)")
            throw error
        }
        var result: [String: JSONValue] = ["session": .string(key), "objective": .string(objective.description),
                                           "episode_length": .number(Double(length))]
        if let log = session.log { result["experiment"] = .number(Double(log.id)) }
        return .object(result)
    }

    /// Starts an episode; a seed other than the environment's makes it anew with that seed, so noisy
    /// metrics follow the seed.
    func reset(_ request: Request) throws -> JSONValue {
        let seed = try seedArgument(request)
        return try withSession(request) { session in
            guard var episode = session.episode else { throw unknownSession(try sessionID(request)) }
            if let seed, seed != session.options.seed {
                var options = session.options
                options.seed = seed
                episode.environment = try makeLimited(session.environmentID, options: options)
                session.options = options
            }
            let observation = episode.reset(seed: seed)
            session.episode = episode
            return .object(["observation": .array(observation.map(JSONValue.number))])
        }
    }

    func step(_ session: Session, _ design: Design) throws -> JSONValue {
        guard var episode = session.episode else { throw ProtocolError(.badRequest, "\"step\" needs an environment session, not a study") }
        let canonical = try validated(design, episode.environment.spec.space, index: nil)
        guard episode.isRunning else {
            throw ProtocolError(.needsReset, "the episode has ended (or never started): send \"reset\" first")
        }
        let (evaluation, started, cached) = try measure(canonical, in: session)
        let step = try episode.step(canonical, evaluatedAs: evaluation)
        session.episode = episode
        try logAndCommit([(canonical, evaluation, started, cached)], session)
        var result = Self.encode(step.evaluation, reward: step.reward)
        if case .object(var fields) = result {
            fields["observation"] = .array(step.observation.map(JSONValue.number))
            fields["terminated"] = .bool(step.terminated)
            fields["truncated"] = .bool(step.truncated)
            if cached { fields["cached"] = .bool(true) }
            result = .object(fields)
        }
        return result
    }

    func evaluate(_ session: Session, _ designs: [Design]) throws -> JSONValue {
        guard let episode = session.episode else { throw ProtocolError(.badRequest, "\"evaluate\" needs an environment session, not a study") }
        let canonical = try designs.enumerated().map { try validated($0.element, episode.environment.spec.space, index: $0.offset) }
        let results = try measureBatch(canonical, on: episode.environment, log: session.log)
        try logAndCommit(zip(canonical, results).map { ($0, $1.evaluation, $1.started, $1.cached) }, session)
        return .object(["evaluations": .array(results.map { result in
            var encoded = Self.encode(result.evaluation, reward: episode.objective.reward(for: result.evaluation))
            if result.cached, case .object(var fields) = encoded {
                fields["cached"] = .bool(true)
                encoded = .object(fields)
            }
            return encoded
        })])
    }

    /// One design's evaluation: from the cache when the session's experiment uses it, else measured here.
    private func measure(_ design: Design, in session: Session) throws -> (Evaluation, Date, Bool) {
        let started = Date()
        if let log = session.log, let hit = try? log.cachedEvaluation(design) { return (hit, started, true) }
        return (session.episode!.environment.measure(design, timeLimit: settings.evaluationTimeout), started, false)
    }

    /// Evaluations of canonical designs on `environment`, each from the cache where `log` allows; designs
    /// evaluated elsewhere (a broker's workers) stay in flight together.
    func measureBatch(_ designs: [Design], on environment: any Environment, log: ExperimentLog?)
        throws -> [(evaluation: Evaluation, started: Date, cached: Bool)] {
        var results = [(evaluation: Evaluation, started: Date, cached: Bool)?](repeating: nil, count: designs.count)
        var missing: [Int] = []
        for (index, design) in designs.enumerated() {
            if let log, let hit = try? log.cachedEvaluation(design) {
                results[index] = (hit, Date(), true)
            } else {
                missing.append(index)
            }
        }
        let timeout = settings.evaluationTimeout
        if environment is any ConcurrentlyEvaluable && missing.count > 1 {
            // Threads of their own: each waits on a worker, and a blocked shared pool grows slowly.
            let slots = Slots<(evaluation: Evaluation, started: Date, cached: Bool)>(count: designs.count)
            let done = DispatchSemaphore(value: 0)
            for index in missing {
                Thread {
                    let started = Date()
                    slots.set(index, (environment.measure(designs[index], timeLimit: timeout), started, false))
                    done.signal()
                }.start()
            }
            for _ in missing { done.wait() }
            for index in missing { results[index] = slots.values[index] }
        } else {
            for index in missing {
                let started = Date()
                results[index] = (environment.measure(designs[index], timeLimit: timeout), started, false)
            }
        }
        return results.map { $0! }
    }

    /// Logs evaluations as the session's next trials and waits until they are committed.
    private func logAndCommit(_ evaluations: [(Design, Evaluation, Date, Bool)], _ session: Session) throws {
        guard let log = session.log else { return }
        log.record(evaluations.map { design, evaluation, started, cached in
            ExperimentLog.Entry(design: design, evaluation: evaluation, startedAt: started,
                                worker: cached ? "cache" : settings.workerName, cached: cached)
        })
        try committed(log)
    }

    func withSession<T>(_ request: Request, _ body: (Session) throws -> T) throws -> T {
        let key = try sessionID(request)
        lock.lock()
        let session = sessions[key]
        lock.unlock()
        guard let session, session.study == nil else { throw unknownSession(key) }
        session.lock.lock()
        defer { session.lock.unlock() }
        return try body(session)
    }

    func sessionID(_ request: Request) throws -> String {
        guard case .string(let key)? = request.fields["session"] else {
            throw ProtocolError(.badRequest, "this op needs \"session\": the id \"open\" returned")
        }
        return key
    }

    func unknownSession(_ key: String) -> ProtocolError {
        ProtocolError(.unknownSession, "no open session \"\(key)\"; \"open\" one first", details: ["session": .string(key)])
    }
}
