import Foundation
import GymCore
import Testing
@testable import GymStore

@Suite struct ExportTests {
    func populatedStore() throws -> (TrajectoryStore, Int64) {
        let store = try TrajectoryStore()
        let id = try store.createExperiment(fixtureRecord())
        try store.insertTrials([fixtureTrial(0), fixtureTrial(1, status: .failed), fixtureTrial(2)], experiment: id)
        return (store, id)
    }

    @Test func csvHasOneTypedColumnPerParameterAndMetric() throws {
        let (store, id) = try populatedStore()
        var text = ""
        let count = try store.export(ExportFilter(), format: .csv) { text += $0 }
        #expect(count == 3)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "experiment,environment,workload,agent,seed,trial,status,reward,wall_time,cached,worker,error,mode,size,gain,latency,power")
        // Trial 0: mode fast, size 1, gain 0.0, latency 10, power 2.5, reward −10.
        #expect(lines[1] == "\(id),Fixture-v2,w1,random,7,0,ok,-10,0.01,false,local-0,,fast,1,0,10,2.5")
        // Trial 1 failed: its message is quoted (it holds commas and quotes), metrics empty.
        #expect(lines[2] == "\(id),Fixture-v2,w1,random,7,1,failed,,0,false,local-0,\"did not run, because, \"\"reasons\"\"\",slow,2,0.1,,")
        #expect(lines.count == 5 && lines[4].isEmpty)
    }

    @Test func jsonLinesRoundTripToTheStoredTrials() throws {
        let (store, id) = try populatedStore()
        var text = ""
        try store.export(ExportFilter(), format: .jsonl) { text += $0 }
        let rows = try text.split(separator: "\n").map {
            try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8))
        }
        let trials = try store.trials(experiment: id)
        #expect(rows.count == trials.count)
        for (row, trial) in zip(rows, trials) {
            #expect(row["trial"] == .number(Double(trial.number)))
            #expect(row["status"] == .string(trial.evaluation.status.rawValue))
            #expect(row["reward"] == (trial.reward.map(JSONValue.number) ?? .null))
            #expect(row["mode"] == .string(trial.design["mode"]!.string!))
            #expect(row["size"] == .number(trial.design["size"]!.number!))
            #expect(row["gain"] == .number(trial.design["gain"]!.number!))
            #expect(row["latency"] == (trial.evaluation.metrics["latency"].map(JSONValue.number) ?? .null))
            #expect(row["experiment"] == .number(Double(id)))
            #expect(row["agent"] == .string("random"))
        }
    }

    @Test func filtersSelectByStatusEnvironmentAndExperiment() throws {
        let (store, id) = try populatedStore()
        var other = fixtureRecord()
        other.environmentSpec.id = "Other-v0"
        other.environmentID = "Other-v0"
        let second = try store.createExperiment(other)
        try store.insertTrials([fixtureTrial(0)], experiment: second)
        func count(_ filter: ExportFilter) throws -> Int { try store.export(filter, format: .jsonl) { _ in } }
        #expect(try count(ExportFilter()) == 4)
        #expect(try count(ExportFilter(statuses: [.ok])) == 3)
        #expect(try count(ExportFilter(environment: "Fixture")) == 3)
        #expect(try count(ExportFilter(environment: "Other-v0")) == 1)
        #expect(try count(ExportFilter(experiments: [id])) == 3)
        #expect(throws: StoreError.unknownExperiment(77)) { try count(ExportFilter(experiments: [77])) }
    }

    @Test func metricNamesThatClashWithColumnsArePrefixed() throws {
        let store = try TrajectoryStore()
        var record = fixtureRecord()
        record.environmentSpec.metrics = [MetricSpec(name: "status", unit: "1", goal: .maximize), MetricSpec(name: "size", unit: "B", goal: .minimize)]
        let id = try store.createExperiment(record)
        try store.insertTrials([Trial(number: 0, design: fixtureTrial(0).design, evaluation: Evaluation(metrics: ["status": 1, "size": 4]), reward: 1)], experiment: id)
        var text = ""
        try store.export(ExportFilter(), format: .csv) { text += $0 }
        #expect(text.hasPrefix("experiment,environment,workload,agent,seed,trial,status,reward,wall_time,cached,worker,error,mode,size,gain,metric.status,metric.size\n"))
    }
}
