import Foundation
import GymCatalog
import GymCore
import GymTestSupport
import Testing
@testable import ExternalEnvironments

/// A folder with a spec file and the scripts it runs. The specs run scripts with `sh script`: a script
/// just written cannot always be executed directly while other tests start processes (a child started
/// meanwhile may hold it open for writing: "text file busy").
struct SpecFolder {
    let path: String

    init(_ files: [String: String]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("command-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
            if name.hasSuffix(".sh") { chmod(path + "/" + name, 0o755) }
        }
    }

    var spec: String { path + "/spec.yaml" }

    func environment(_ options: EnvironmentOptions = EnvironmentOptions()) throws -> CommandEnvironment {
        try CommandEnvironment(path: spec, options: options)
    }
}

/// A spec around `run` and `metricsFrom`, for a two-parameter space with two metrics.
func specText(run: String, metricsFrom: String, extra: String = "") -> String {
    """
    id: Toy-v1
    summary: a quadratic bowl
    parameters:
      - {name: x, type: real, lower: -5, upper: 5, default: 1}
      - {name: mode, type: categorical, choices: [fast, slow], default: fast}
    metrics:
      - {name: loss, unit: "1", goal: minimize}
      - {name: cost, unit: "1", goal: minimize}
    workloads:
      - {name: small, summary: a small one, value: "3"}
      - {name: data, summary: a file, file: data.txt}
    \(extra)
    run:
    \(run)
    metrics_from:
    \(metricsFrom)
    """
}

@Suite struct CommandEnvironmentTests {
    @Test func aScriptReadsItsDesignAndWorkloadAndReportsJSON() throws {
        // loss = (x − 1)² + workload; cost = x doubled when slow; the script also logs a line first.
        let script = """
            #!/bin/sh
            x=$(sed -e 's/.*"x":\\([-0-9.e]*\\).*/\\1/' "$1")
            pwd > "$(dirname "$0")/workdir.txt"
            echo "{\\"loss\\": $(echo "($x - 1)^2 + $2" | bc -l), \\"cost\\": $(echo "$x * $3" | bc -l), \\"from_env\\": $TOY_GAIN}"
            """
        let folder = try SpecFolder([
            "spec.yaml": specText(run: """
                  command: [sh, "{spec_dir}/sim.sh", "{design_file}", "{workload}", "{option.scale}"]
                  design_file: design.json
                  environment: {TOY_GAIN: "{seed}"}
                """, metricsFrom: "  default: {json: stdout}", extra: "options:\n  - {key: scale, summary: cost per unit of x, default: \"2\", number: true}"),
            "sim.sh": script, "data.txt": "7\n",
        ])
        let environment = try folder.environment(EnvironmentOptions(seed: 9))
        // (3 − 1)² + 3 = 7; cost 3·2 = 6.
        let evaluation = environment.measure(Design(["x": .double(3), "mode": .string("fast")]))
        #expect(evaluation.status == .ok, "\(evaluation.message ?? "")")
        #expect(evaluation.metrics == ["loss": 7, "cost": 6])
        #expect(environment.spec.id == "Command:\(folder.spec)" && environment.spec.summary.hasPrefix("Toy-v1: "))
        // Every evaluation gets a working directory of its own, removed afterwards.
        let workdir = try String(contentsOfFile: folder.path + "/workdir.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(URL(fileURLWithPath: workdir).lastPathComponent.hasPrefix("designgym-command-"), "\(workdir)")
        #expect(!FileManager.default.fileExists(atPath: workdir), "\(workdir) was left behind")
        let issues = EnvironmentConformance.check(EnvironmentEntry(id: environment.spec.id, summary: "") { try folder.environment($0) }, samples: 4)
        #expect(issues.isEmpty, "\(issues.map(\.description))")
    }

    @Test func metricsComeFromCSVColumnsAndPatterns() throws {
        let script = """
            #!/bin/sh
            printf 'LayerID, Total Cycles, Util %%,\\n0, 100, 50.0,\\n1, 300, 70.0,\\n' > report.csv
            echo "energy: 12.5 pJ" >&2
            echo "cost=4"
            """
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [sh, \"{spec_dir}/sim.sh\"]", metricsFrom: """
                  loss: {csv: report.csv, column: "Total Cycles", aggregate: sum}
                  cost: {regex: "cost=([0-9.]+)"}
                """),
            "sim.sh": script, "data.txt": "1",
        ])
        let evaluation = try folder.environment().measure(Design(["x": .double(0), "mode": .string("slow")]))
        #expect(evaluation.metrics == ["loss": 400, "cost": 4], "\(evaluation.message ?? "")")
    }

    @Test(arguments: [
        ("#!/bin/sh\necho boom >&2\nexit 3\n", "failed", "the command exited with status 3; its standard error ends:\nboom"),
        ("#!/bin/sh\necho '{\"loss\": 1}'\n", "failed", "metric cost: the JSON on standard output has no \"cost\""),
        ("#!/bin/sh\necho '{\"loss\": \"many\", \"cost\": 1}'\n", "failed", "metric loss: \"loss\" in the JSON on standard output is not a finite number (many)"),
        ("#!/bin/sh\necho not json\n", "failed", "metric loss: no JSON object on standard output"),
        ("#!/bin/sh\necho '{\"status\": \"infeasible\", \"message\": \"does not fit\"}'\n", "infeasible", "does not fit"),
        ("#!/bin/sh\nexit 7\n", "infeasible", "exited with 7, which the spec calls infeasible"),
    ])
    func aCommandThatDoesNotDeliverIsAFailureSayingWhy(_ script: String, _ status: String, _ message: String) throws {
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [sh, \"{spec_dir}/sim.sh\"]\n  infeasible_exit_codes: [7]", metricsFrom: "  default: {json: stdout}"),
            "sim.sh": script, "data.txt": "1",
        ])
        let evaluation = try folder.environment().measure(try folder.environment().spec.space.defaultDesign)
        #expect(evaluation.status.rawValue == status)
        #expect(evaluation.message?.contains(message) == true, "\(evaluation.message ?? "")")
    }

    @Test func aTimeoutKillsEverythingTheCommandStarted() throws {
        // The script starts a child that would outlive it, then hangs; the child writes its pid.
        let script = """
            #!/bin/sh
            sleep 300 &
            echo $! > "$1/child.pid"
            sleep 300
            """
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [sh, \"{spec_dir}/sim.sh\", \"{spec_dir}\"]\n  timeout: 1", metricsFrom: "  default: {json: stdout}"),
            "sim.sh": script, "data.txt": "1",
        ])
        let started = Date()
        let evaluation = try folder.environment().measure(try folder.environment().spec.space.defaultDesign)
        #expect(evaluation.status == .timeout)
        #expect(evaluation.message?.contains("killed with everything it started") == true)
        #expect(Date().timeIntervalSince(started) < 5)
        let child = Int32(try String(contentsOfFile: folder.path + "/child.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        Thread.sleep(forTimeInterval: 0.2)
        let state = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)
        #expect(state == nil || state!.contains(") Z "), "the child \(child) still runs: \(state ?? "")")
        // The evaluation's own deadline (a server's --timeout) does the same.
        let bounded = EvaluationDeadline.with(EvaluationDeadline(seconds: 0.5)) {
            try? folder.environment().measure(Design(["x": .double(2), "mode": .string("slow")]))
        }
        #expect(bounded?.status == .timeout)
    }

    @Test func constraintsAreExpressionsOverTheParameters() throws {
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [echo, '{{\"loss\": 1, \"cost\": 2}}']", metricsFrom: "  default: {json: stdout}",
                                  extra: "constraints:\n  - {name: slow-is-small, expression: \"mode != 'slow' || x * 2 <= 4\", message: slow needs x up to 2}"),
            "data.txt": "1",
        ])
        let environment = try folder.environment()
        #expect(environment.measure(Design(["x": .double(3), "mode": .string("slow")])).status == .infeasible)
        #expect(environment.measure(Design(["x": .double(3), "mode": .string("fast")])).status == .ok)
        #expect(environment.measure(Design(["x": .double(2), "mode": .string("slow")])).status == .ok)
        #expect(throws: ConstraintExpression.Invalid.self) { try ConstraintExpression("x + 'a' > 2", names: ["x"]) }
        #expect { try ConstraintExpression("y <= 2", names: ["x"]) } throws: { "\($0)".contains("'y' is not a parameter") }
        #expect { try ConstraintExpression("x * 2", names: ["x"]) } throws: { "\($0)".contains("is not a condition") }
    }

    @Test func theRevisionFollowsTheSpecAndWhatItDependsOn() throws {
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [sh, \"{spec_dir}/sim.sh\"]", metricsFrom: "  default: {json: stdout}", extra: "depends_on: [sim.sh]"),
            "sim.sh": "#!/bin/sh\necho '{\"loss\": 1, \"cost\": 2}'\n", "data.txt": "1",
        ])
        let first = try folder.environment().spec.revision
        try "#!/bin/sh\necho '{\"loss\": 2, \"cost\": 2}'\n".write(toFile: folder.path + "/sim.sh", atomically: true, encoding: .utf8)
        let second = try folder.environment().spec.revision
        try "9\n".write(toFile: folder.path + "/data.txt", atomically: true, encoding: .utf8)
        let third = try folder.environment().spec.revision
        #expect(first != nil && first != second && second != third)
    }

    @Test(arguments: [
        ("tiemout: 3\n", "unknown key 'tiemout' at the top"),
        ("", "run.command[0]: unknown placeholder {designfile}"),
    ])
    func specMistakesAreNamedWhenTheFileIsRead(_ extra: String, _ expected: String) throws {
        let run = extra.isEmpty ? "  command: [\"{designfile}\"]" : "  command: [echo]"
        let folder = try SpecFolder(["spec.yaml": specText(run: run, metricsFrom: "  default: {json: stdout}", extra: extra), "data.txt": "1"])
        #expect { try folder.environment() } throws: { "\($0)".contains(expected) }
        let badID = try SpecFolder(["spec.yaml": specText(run: "  command: [echo]", metricsFrom: "  default: {json: stdout}")
            .replacingOccurrences(of: "id: Toy-v1", with: "id: Toy"), "data.txt": "1"])
        #expect { try badID.environment() } throws: { "\($0)".contains("Name-vN") }
    }

    @Test func optionValuesCannotBecomeFlags() throws {
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [echo, \"{option.tag}\"]", metricsFrom: "  default: {json: stdout}",
                                  extra: "options:\n  - {key: tag, summary: a label}\n  - {key: level, summary: one of three, choices: [low, mid, high], default: mid}"),
            "data.txt": "1",
        ])
        #expect(throws: EnvironmentError.self) { try folder.environment(EnvironmentOptions(values: ["tag": "--output=/etc/passwd"])) }
        #expect(throws: EnvironmentError.self) { try folder.environment(EnvironmentOptions(values: ["tag": "two words"])) }
        #expect(throws: EnvironmentError.self) { try folder.environment(EnvironmentOptions(values: ["level": "max"])) }
        _ = try folder.environment(EnvironmentOptions(values: ["tag": "run-7", "level": "high"]))
    }

    @Test func commandEnvironmentsAreAFamilyOfTheCatalog() throws {
        let folder = try SpecFolder([
            "spec.yaml": specText(run: "  command: [echo, '{{\"loss\": 1, \"cost\": 2}}']", metricsFrom: "  default: {json: stdout}"), "data.txt": "1",
        ])
        let environment = try Catalog.registry.makeEnvironment("Command:" + folder.spec, options: EnvironmentOptions(workload: "data"))
        #expect(environment.spec.workload == "data")
        #expect(environment.measure(environment.spec.space.defaultDesign).metrics == ["loss": 1, "cost": 2])
    }
}
