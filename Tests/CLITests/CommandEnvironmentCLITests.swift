import Foundation
import GymStore
import Testing

/// `Command:<spec file>` wherever an environment id goes: runs on local workers, the cache and its
/// revision, sweeps, proxies and reports.
@Suite struct CommandEnvironmentCLITests {
    /// A folder with a spec whose script computes a bowl, (x − 1)² + y, and its cost x + y.
    static func folder() throws -> (folder: URL, spec: String, script: URL, db: String) {
        let db = GymProcess.databasePath()
        let folder = URL(fileURLWithPath: db).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("bowl.sh")
        try """
            awk -v x="$1" -v y="$2" 'BEGIN { printf "{\\"loss\\": %.17g, \\"cost\\": %.17g}\\n", (x - 1) ^ 2 + y, x + y }'
            """.write(to: script, atomically: true, encoding: .utf8)
        let spec = folder.appendingPathComponent("bowl.yaml")
        try """
            id: Bowl-v1
            summary: a bowl computed by a shell script
            parameters:
              - {name: x, type: ordinal, values: [0, 0.5, 1, 1.5, 2, 2.5, 3], default: 0}
              - {name: y, type: integer, lower: 0, upper: 5, default: 3}
            metrics:
              - {name: loss, unit: "1", goal: minimize}
              - {name: cost, unit: "$", goal: minimize}
            run:
              command: [sh, "{spec_dir}/bowl.sh", "{x}", "{y}"]
            metrics_from:
              default: {json: stdout}
            depends_on: [bowl.sh]
            """.write(to: spec, atomically: true, encoding: .utf8)
        return (folder, "Command:" + spec.path, script, db)
    }

    @Test func aCommandEnvironmentRunsOnWorkersCachesByRevisionSweepsAndTrainsProxies() throws {
        let (folder, id, script, db) = try Self.folder()
        let first = try GymProcess.run(["run", "--env", id, "--agent", "random", "--budget", "20", "--workers", "2", "--db", db, "--progress", "none"])
        #expect(first.status == 0, "\(first.error)")
        // Every trial holds the script's arithmetic: loss (x − 1)² + y, cost x + y.
        let store = try TrajectoryStore(path: db, access: .readOnly)
        let trials = try store.trials(experiment: 1)
        #expect(trials.count == 20 && trials.allSatisfy { $0.evaluation.status == .ok })
        for trial in trials {
            let x = trial.design["x"]!.number!, y = trial.design["y"]!.number!
            #expect(abs(trial.evaluation.metrics["loss"]! - ((x - 1) * (x - 1) + y)) < 1e-9)
            #expect(abs(trial.evaluation.metrics["cost"]! - (x + y)) < 1e-9)
        }
        // The same run again is answered from the cache.
        let again = try GymProcess.run(["run", "--env", id, "--agent", "random", "--budget", "20", "--db", db, "--progress", "none"])
        #expect(again.output.contains("20 trials") && again.output.contains("(20 from the cache)"), "\(again.output)")
        // A changed script is a new revision: nothing comes from the cache, and the proxy learns from it alone.
        try (String(contentsOf: script, encoding: .utf8) + "\n# revised\n").write(to: script, atomically: true, encoding: .utf8)
        let stale = try GymProcess.run(["proxy", "train", "--env", id, "--db", db])
        #expect(stale.status != 0 && stale.error.contains("the 2 matching experiment(s) of \(id) ran an earlier revision of it"), "\(stale.error)")
        // The same seed again: only the designs the run itself repeats (42 designs, 20 draws) are cached.
        let revised = try GymProcess.run(["run", "--env", id, "--agent", "random", "--budget", "20", "--db", db, "--progress", "none"])
        #expect(revised.status == 0 && revised.output.contains("20 trials"), "\(revised.error)")
        #expect(try store.trials(experiment: 3).filter(\.cached).count == trials.filter(\.cached).count)
        let sweepFile = folder.appendingPathComponent("sweep.yaml").path
        try """
            name: bowl
            budget: 12
            seeds: 2
            environments: [{id: "\(id)"}]
            agents: [{id: random}, {id: genetic}]
            """.write(toFile: sweepFile, atomically: true, encoding: .utf8)
        let sweep = try GymProcess.run(["sweep", sweepFile, "--jobs", "2", "--db", db])
        #expect(sweep.status == 0 && sweep.output.contains("Sweep bowl: 4 of 4 runs complete, 0 failed"), "\(sweep.output)\(sweep.error)")
        let report = try GymProcess.run(["report", "--sweep", "bowl", "--db", db, "--format", "markdown"])
        #expect(report.status == 0 && report.output.contains("## \(id) · default · loss:min"), "\(report.output)\(report.error)")
        #expect(report.output.contains("| genetic | 2 |") && report.output.contains("| random | 2 |"))
        let proxy = folder.appendingPathComponent("bowl.proxy.json").path
        let train = try GymProcess.run(["proxy", "train", "--env", id, "--db", db, "--out", proxy, "--test-fraction", "0.25"])
        // Experiments 3–7 ran the current revision; 1 and 2 the earlier one.
        #expect(train.status == 0 && train.output.contains("from 5 experiment(s)"), "\(train.output)\(train.error)")
        let search = try GymProcess.run(["run", "--env", "Proxy:\(proxy)", "--agent", "genetic", "--budget", "30", "--db", db, "--progress", "none"])
        #expect(search.status == 0 && search.output.contains("completed, 30 trials"), "\(search.error)")
    }
}
