import Dispatch
import Foundation
import GymCore
import MemoryController

/// MemoryController-v0: simulated requests per second for each bundled trace and for a generated
/// random trace of 1,000,000 requests (aim ≥ 1,000,000 per second), under the default controller.
func benchMemoryController() throws {
    func line(_ label: String, requests: Int, seconds: Double) {
        print(label.padding(toLength: 48, withPad: " ", startingAt: 0)
              + String(format: "%12.0f requests/s", Double(requests) / seconds)
              + String(format: "   (%d in %.3f s)", requests, seconds))
    }
    for workload in MemoryControllerEnvironment.traceWorkloads {
        let environment = try MemoryControllerEnvironment(options: EnvironmentOptions(workload: workload))
        let config = ControllerConfig(environment.spec.space.defaultDesign)
        _ = try environment.simulate(config)  // parse the trace once
        let repeats = 20
        let start = DispatchTime.now().uptimeNanoseconds
        var requests = 0
        for _ in 0..<repeats {
            let result = try environment.simulate(config)
            requests += result.reads + result.writes
        }
        line("MemoryController \(workload) trace", requests: requests,
             seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    for (label, values) in [("random, 1M requests, 2:1 read/write", ["requests": "1000000"]),
                            ("random, 1M requests, reads only", ["requests": "1000000", "read_fraction": "1"])] {
        let environment = try MemoryControllerEnvironment(options: EnvironmentOptions(workload: "uniform", seed: 1, values: values))
        for (name, design) in [("default", [String: ParameterValue]()),
                               ("closed page, shared 128", ["PagePolicy": "Closed", "SchedulerBuffer": "Shared", "RequestBufferSize": 128])] {
            let config = ControllerConfig(try environment.spec.space.design(from: design, fillingDefaults: true))
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try environment.simulate(config)
            line("MemoryController \(label), \(name)", requests: result.reads + result.writes,
                 seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
}
