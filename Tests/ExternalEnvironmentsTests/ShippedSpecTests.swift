import Foundation
import GymCore
import Testing
@testable import ExternalEnvironments

/// The spec files the repository ships: SCALE-Sim's (run end to end by the Python tests) and the examples
/// for DRAMSys 5 and Timeloop (which need those simulators installed: here they are only read).
@Suite struct ShippedSpecTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: [
        ("Environments/External/SCALESim/scalesim.yaml", "SCALESim-v1", 7, 11),
        ("Environments/External/Examples/dramsys5.yaml", "DRAMSys5-v1", 10, 4),
        ("Environments/External/Examples/timeloop.yaml", "TimeloopEyeriss-v1", 7, 3),
    ])
    func shippedSpecsRead(path: String, id: String, parameters: Int, metrics: Int) throws {
        let spec = try CommandSpec.load(Self.root + "/" + path)
        #expect(spec.declaredID == id)
        #expect(spec.space.parameters.count == parameters)
        #expect(spec.metrics.count == metrics)
        #expect(spec.acceptsWorkloadFiles)
    }

    @Test func theDRAMSysSimulationFileIsJSONWithTheDesignsKnobs() throws {
        let spec = try CommandSpec.load(Self.root + "/Environments/External/Examples/dramsys5.yaml")
        var values: [String: String] = ["workload_file": "/traces/random.stl", "option.memspec": "m.json", "option.addressmapping": "a.json",
                                        "option.clock_mhz": "1000"]
        for parameter in spec.space.parameters {
            switch parameter.defaultValue {
            case .string(let text): values[parameter.name] = text
            case .int(let number): values[parameter.name] = String(number)
            case .double(let number): values[parameter.name] = Parameter.numberText(number)
            }
        }
        let text = spec.files[0].text.render(values)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let simulation = try #require(object["simulation"] as? [String: Any])
        let controller = try #require(simulation["mcconfig"] as? [String: Any])
        #expect(controller["RequestBufferSize"] as? Int == 8)
        #expect(controller["PagePolicy"] as? String == "Open")
        let traces = try #require(simulation["tracesetup"] as? [[String: Any]])
        #expect(traces.first?["name"] as? String == "/traces/random.stl")
    }
}
