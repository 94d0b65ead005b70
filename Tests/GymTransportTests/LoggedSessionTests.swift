import Foundation
import GRDB
import GymCatalog
import GymCore
@testable import GymStore
import Testing
@testable import Experiments
@testable import GymTransport

/// A fresh database file of its own.
func loggingStorePath(_ label: String = #function) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("designgym-logged-\(UUID().uuidString)")
        .appendingPathComponent("\(label.filter(\.isLetter)).sqlite").path
}

/// One request through a service: the result, or the thrown error reply.
@discardableResult
func call(_ service: SessionService, _ fields: [String: JSONValue]) throws -> [String: JSONValue] {
    var request = fields
    request["protocol"] = .string("designgym/1")
    request["id"] = 1
    guard case .object(let reply) = try JSONValue.parse(service.handle(JSONValue.object(request).jsonData)) else {
        throw ProtocolError(.malformedJSON, "no reply")
    }
    if case .object(let error)? = reply["error"], case .string(let code)? = error["code"], case .string(let message)? = error["message"] {
        throw ProtocolError(ErrorCode(rawValue: code) ?? .badRequest, message)
    }
    guard case .object(let result)? = reply["result"] else { return [:] }
    return result
}

@Suite struct LoggedSessionTests {
    @Test func aSessionIsAnExperimentWithItsTrialsInRequestOrder() throws {
        let store = try TrajectoryStore(path: loggingStorePath())
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: store))
        let opened = try call(service, ["op": "open", "environment": "Branin-v0", "seed": "42", "agent": "optuna-tpe",
                                        "settings": ["n_startup_trials": 10, "multivariate": true, "weights": [1, 2]], "name": "mine"])
        let session = opened["session"]!
        #expect(opened["experiment"] == 1)
        let a: JSONValue = ["x1": 1, "x2_steps": 100, "variant": "standard"], b: JSONValue = ["x1": 2, "x2_steps": 5, "variant": "scaled"]
        try call(service, ["op": "reset", "session": session])
        try call(service, ["op": "step", "session": session, "design": a])
        let batch = try call(service, ["op": "evaluate", "session": session, "designs": [b, a]])
        guard case .array(let evaluations)? = batch["evaluations"], case .object(let second) = evaluations[1] else { Issue.record("no evaluations"); return }
        #expect(second["cached"] == .bool(true))  // design a was evaluated by the step
        // Committed before the replies were sent: readable now, from another connection.
        let reader = try TrajectoryStore(path: store.path!, access: .readOnly)
        let trials = try reader.trials(experiment: 1)
        #expect(trials.map(\.number) == [0, 1, 2])
        #expect(trials.map(\.worker) == ["serve", "serve", "cache"])
        #expect(trials.map(\.cached) == [false, false, true])
        #expect(trials[0].evaluation.metrics == trials[2].evaluation.metrics)
        let record = try reader.experiment(1)
        #expect(record.driver == .session && record.agentID == "optuna-tpe" && record.name == "mine" && record.seed == 42)
        #expect(record.hyperparameters["n_startup_trials"] == .int(10) && record.hyperparameters["multivariate"] == .string("true"))
        #expect(record.hyperparameters["weights"] == .string("[1,2]"))
        #expect(record.status == .running)
        try call(service, ["op": "close", "session": session])
        #expect(try reader.experiment(1).status == .completed)
        // Without the cache, the same design is evaluated again.
        let fresh = try call(service, ["op": "open", "environment": "Branin-v0", "cache": false])
        let again = try call(service, ["op": "evaluate", "session": fresh["session"]!, "designs": [a]])
        #expect(!"\(again)".contains("cached"))
        #expect(try reader.trials(experiment: 2).map(\.worker) == ["serve"])
    }

    @Test func idleSessionsAndSessionsOpenAtShutdownEndInterrupted() throws {
        let store = try TrajectoryStore(path: loggingStorePath())
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: store, idleTimeout: 0.3))
        let idle = try call(service, ["op": "open", "environment": "Branin-v0"])
        try call(service, ["op": "evaluate", "session": idle["session"]!, "designs": [["x1": 0, "x2_steps": 0, "variant": "standard"]]])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try store.experiment(1).status == .interrupted)
        #expect(throws: ProtocolError.self) { try call(service, ["op": "step", "session": idle["session"]!, "design": ["x1": 0]]) }
        #expect(try store.trialCount(experiment: 1) == 1)  // what it did is kept
        let open = try call(service, ["op": "open", "environment": "Branin-v0"])
        service.shutdown()
        #expect(try store.experiment(open["experiment"].flatMap { if case .number(let n) = $0 { Int64(n) } else { nil } } ?? 0).status == .interrupted)
    }

    @Test func aFullDiskIsAStoreFailedReplyAndTheServerGoesOn() throws {
        let store = try TrajectoryStore(path: loggingStorePath())
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: store))
        let opened = try call(service, ["op": "open", "environment": "Branin-v0", "cache": false])
        try store.database.writeWithoutTransaction { db in
            let used = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(used)")
        }
        let designs = JSONValue.array((0..<200).map { ["x1": .number(Double($0) / 20 - 5), "x2_steps": 1, "variant": "standard"] })
        #expect { try call(service, ["op": "evaluate", "session": opened["session"]!, "designs": designs]) } throws: { error in
            (error as? ProtocolError)?.code == .storeFailed
        }
        #expect(try call(service, ["op": "ping"])["pong"] == .bool(true))
    }

    /// A study's designs and rewards over `rounds` suggest/observe rounds, on a service over `path`.
    func studyRounds(_ service: SessionService, _ study: JSONValue, rounds: Int, evaluate: Bool) throws -> [String] {
        var designs: [String] = []
        for _ in 0..<rounds {
            if evaluate {
                let result = try call(service, ["op": "suggest", "study": study, "count": 2, "evaluate": true])
                designs.append(result["designs"]!.jsonData.base64EncodedString())
            } else {
                let result = try call(service, ["op": "suggest", "study": study, "count": 2])
                guard case .array(let suggested)? = result["designs"] else { return designs }
                designs.append(result["designs"]!.jsonData.base64EncodedString())
                // The client's own simulator: Branin evaluated here.
                let branin = try Catalog.registry.makeEnvironment("Branin-v0")
                let trials = try suggested.map { design -> JSONValue in
                    let parsed = try Design.parse(json: String(decoding: design.jsonData, as: UTF8.self))
                    let evaluation = branin.measure(parsed)
                    return ["design": design, "metrics": ["value": .number(evaluation.metrics["value"]!)], "status": "ok"]
                }
                try call(service, ["op": "observe", "study": study, "trials": .array(trials)])
            }
        }
        return designs
    }

    @Test(arguments: [("bayesian", true), ("genetic", false), ("bayesian", false)])
    func aStudyResumedAfterItsServerDiedSuggestsWhatItWouldHave(_ agent: String, _ serverEvaluates: Bool) throws {
        let hyperparameters: JSONValue = agent == "bayesian" ? ["initial_points": 4, "candidates": 200, "fit_restarts": 1] : ["population": 4]
        let open: [String: JSONValue] = ["op": "open_study", "agent": .string(agent), "environment": "Branin-v0", "seed": 7,
                                         "hyperparameters": hyperparameters]
        // The study that never stops: 5 rounds of 2.
        let reference = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore(path: loggingStorePath())))
        let whole = try studyRounds(reference, try call(reference, open)["study"]!, rounds: 5, evaluate: serverEvaluates)
        // The same study, its server gone after 3 rounds (no shutdown: as if killed), resumed on a new one.
        let path = loggingStorePath()
        let first = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore(path: path), idleTimeout: nil))
        let opened = try call(first, open)
        let before = try studyRounds(first, opened["study"]!, rounds: 3, evaluate: serverEvaluates)
        try first.writer?.flush()
        let second = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore(path: path)))
        let resumed = try call(second, ["op": "open_study", "resume": opened["experiment"]!])
        #expect(resumed["observed"] == 6 && resumed["pending"] == .array([]))
        let after = try studyRounds(second, resumed["study"]!, rounds: 2, evaluate: serverEvaluates)
        #expect(before + after == whole)
        #expect(try TrajectoryStore(path: path, access: .readOnly).trials(experiment: 1).map(\.number) == Array(0..<10))
    }

    @Test func aStudyWithPendingDesignsResumesThem() throws {
        let path = loggingStorePath()
        let first = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore(path: path)))
        let opened = try call(first, ["op": "open_study", "agent": "random", "environment": "Branin-v0", "budget": 5])
        let suggested = try call(first, ["op": "suggest", "study": opened["study"]!, "count": 3])
        try first.writer?.flush()
        let second = SessionService(registry: Catalog.registry, environments: ["Branin-v0"], settings: .init(store: try TrajectoryStore(path: path)))
        let resumed = try call(second, ["op": "open_study", "resume": opened["experiment"]!])
        guard case .array(let pending)? = resumed["pending"], case .array(let designs)? = suggested["designs"] else { Issue.record("no pending"); return }
        #expect(pending.count == 3)
        // The client observes what it was evaluating when the server died; the budget allows two more.
        try call(second, ["op": "observe", "study": resumed["study"]!, "trials": .array(designs.map { ["design": $0, "reward": 1] })])
        let more = try call(second, ["op": "suggest", "study": resumed["study"]!, "count": 10])
        #expect(more["numbers"] == [3, 4])
        #expect { try call(second, ["op": "suggest", "study": resumed["study"]!]) } throws: { "\($0)".contains("budget of 5 evaluations is spent") }
    }
}
