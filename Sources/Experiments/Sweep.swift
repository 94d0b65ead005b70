import Dispatch
import Foundation
import GymCore
import GymFiles
import GymStore

/// A sweep: environments and workloads × objectives × agents with their hyperparameter settings × seeds,
/// every run with the same budget. Read from JSON (the CLI also reads YAML):
///
/// ```yaml
/// name: dram-lottery
/// budget: 500                  # evaluations, the same for every run
/// seeds: 3                     # 0, 1, 2 — or a list: [1, 7, 42]
/// environments:
///   - id: MemoryController-v0
///     workloads: [random, stream]   # default: the environment's default
///     options: {memspec: DDR4-2400R_8Gb_x8}
/// objectives: [default, energy]      # suggested names, "default", or compact specs (default: [default])
/// agents:
///   - id: random
///   - id: genetic
///     grid: {population_size: [16, 32], mutation_rate: [0.05, 0.2]}
///   - id: ant-colony
///     preset: archgym                # a grid registered with the agent
///   - id: genetic
///     preset: archgym
///     samples: 8                     # 8 of that grid's 72 settings, drawn without replacement
///   - id: bayesian
///     samples: 4                     # settings drawn at random from the agent's hyperparameter space
/// ```
public struct SweepFile: Decodable, Sendable {
    public struct EnvironmentEntry: Decodable, Sendable {
        public var id: String
        public var workloads: [String]?
        public var options: [String: String]?

        enum CodingKeys: String, CodingKey { case id, workloads, options }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            workloads = try container.decodeIfPresent([String].self, forKey: .workloads)
            options = try container.decodeIfPresent([String: OptionText].self, forKey: .options)?.mapValues(\.text)
        }
    }

    /// An option's value as written, `delay: 0.4` as well as `delay: "0.4"`: options are text.
    struct OptionText: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int.self) {
                text = String(integer)
            } else if let number = try? container.decode(Double.self) {
                text = String(number)
            } else if let flag = try? container.decode(Bool.self) {
                text = String(flag)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    public struct AgentEntry: Decodable, Sendable {
        public var id: String
        public var grid: [String: [ParameterValue]]?
        public var preset: String?
        public var samples: Int?
    }

    /// A number of seeds (0, 1, …) or the seeds themselves.
    public enum Seeds: Decodable, Sendable {
        case count(Int)
        case list([UInt64])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let count = try? container.decode(Int.self) {
                self = .count(count)
            } else {
                self = .list(try container.decode([UInt64].self))
            }
        }

        var values: [UInt64] {
            switch self {
            case .count(let count): return (0..<max(0, min(count, SweepFile.runLimit))).map(UInt64.init)
            case .list(let list): return list
            }
        }
    }

    public var name: String
    public var budget: Int
    public var seeds: Seeds
    public var environments: [EnvironmentEntry]
    public var objectives: [String]?
    public var agents: [AgentEntry]
}

/// One run of a sweep: its configuration and a key that identifies it across invocations.
public struct SweepRun: Sendable {
    /// The first 16 hex digits of the SHA-256 of everything that defines the run.
    public var key: String
    public var configuration: ExperimentConfiguration
    /// A short description: environment, workload, objective, agent, settings, seed.
    public var label: String
    /// The name its experiment is stored under: `sweep <name> <key>`.
    public var experimentName: String
}

public enum SweepError: Error, CustomStringConvertible, Equatable {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): return "invalid sweep: \(reason)"
        }
    }
}

extension SweepFile {
    /// The most runs a sweep file may expand to.
    public static let runLimit = 10_000

    /// The keys a sweep file may use, at the top, in an environment entry and in an agent entry.
    static let keys = ["name", "budget", "seeds", "environments", "objectives", "agents"]
    static let environmentKeys = ["id", "workloads", "options"]
    static let agentKeys = ["id", "grid", "preset", "samples"]
    /// Likely confusions, and what to write instead.
    static let hints: [String: String] = [
        "workload": "workloads (a list)", "objective": "objectives (a list)", "seed": "seeds (a count or a list)",
        "environment": "environments (a list)", "agent": "agents (a list)",
        "hyperparameters": "grid (a list of values per hyperparameter; one value fixes it)", "settings": "grid",
    ]

    /// Throws `SweepError.invalid` for a key the file format does not have, naming where it is and what
    /// was probably meant. `json` is the file as read (a JSON object).
    public static func checkKeys(_ json: Any) throws {
        do {
            try KeyCheck.require(json, allowed: keys, at: "at the top", hints: hints)
            guard let root = json as? [String: Any] else { return }
            for (index, entry) in ((root["environments"] as? [Any]) ?? []).enumerated() {
                try KeyCheck.require(entry, allowed: environmentKeys, at: "in environment \(index + 1)", hints: hints)
            }
            for (index, entry) in ((root["agents"] as? [Any]) ?? []).enumerated() {
                try KeyCheck.require(entry, allowed: agentKeys, at: "in agent \(index + 1)", hints: hints)
            }
        } catch let error as KeyCheck.Unknown {
            throw SweepError.invalid(error.description)
        }
    }

    /// How many runs the file expands to, counted without expanding it (nil beyond `Int.max`).
    func runCount(registry: Registry) -> Int? {
        func times(_ a: Int?, _ b: Int) -> Int? {
            guard let a else { return nil }
            let (product, overflow) = a.multipliedReportingOverflow(by: max(0, b))
            return overflow ? nil : product
        }
        let seedCount: Int
        switch seeds {
        case .count(let count): seedCount = max(0, count)
        case .list(let list): seedCount = list.count
        }
        var settings: Int? = 0
        for agent in agents {
            var count: Int? = 1
            if let grid = agent.grid {
                for values in grid.values { count = times(count, values.count) }
            } else if let preset = agent.preset {
                let size = (try? registry.agent(agent.id))?.settings(ofGrid: preset)?.count ?? 1
                count = min(size, agent.samples ?? size)
            } else if let samples = agent.samples {
                count = samples
            }
            guard let running = settings, let count else { return nil }
            let (sum, overflow) = running.addingReportingOverflow(count)
            settings = overflow ? nil : sum
        }
        let workloads = environments.reduce(0) { $0 + max(1, $1.workloads?.count ?? 1) }
        return times(times(times(settings, workloads), objectives?.count ?? 1), seedCount)
    }

    /// Every run, in a fixed order: environment, workload, objective, agent, setting, seed.
    public func expand(registry: Registry) throws -> [SweepRun] {
        guard !name.isEmpty, !name.contains(" ") else { throw SweepError.invalid("give the sweep a name without spaces") }
        guard budget >= 1 else { throw SweepError.invalid("the budget must be at least one evaluation, not \(budget)") }
        guard let count = runCount(registry: registry), count <= Self.runLimit else {
            throw SweepError.invalid("the sweep expands to \(runCount(registry: registry).map(String.init) ?? "more than 2^63") runs; the limit is \(Self.runLimit) (environments × workloads × objectives × agent settings × seeds): split it into several sweeps")
        }
        let seedValues = seeds.values
        guard !seedValues.isEmpty else { throw SweepError.invalid("give at least one seed") }
        guard !environments.isEmpty, !agents.isEmpty else { throw SweepError.invalid("name at least one environment and one agent") }
        var runs: [SweepRun] = []
        for environment in environments {
            for workload in environment.workloads ?? [""] {
                let options = EnvironmentOptions(workload: workload.isEmpty ? nil : workload, values: environment.options ?? [:])
                let spec: EnvironmentSpec
                do {
                    spec = try registry.makeEnvironment(environment.id, options: options).spec
                } catch {
                    throw SweepError.invalid("environment \(environment.id)\(workload.isEmpty ? "" : " workload \(workload)"): \(error)")
                }
                for objectiveText in objectives ?? ["default"] {
                    let objective: Objective
                    do {
                        if objectiveText == "default" {
                            objective = try spec.defaultObjective.resolved(against: spec.metrics)
                        } else if let suggested = spec.suggestedObjectives[objectiveText] {
                            objective = try suggested.resolved(against: spec.metrics)
                        } else {
                            objective = try Objective.parse(objectiveText).resolved(against: spec.metrics)
                        }
                    } catch {
                        throw SweepError.invalid("objective '\(objectiveText)' on \(environment.id): \(error)")
                    }
                    for agent in agents {
                        for setting in try settings(of: agent, registry: registry) {
                            for seed in seedValues {
                                let configuration = ExperimentConfiguration(
                                    environmentID: environment.id, environmentOptions: options, objective: objective, agentID: agent.id,
                                    hyperparameters: setting, seed: seed, budget: Budget(evaluations: budget))
                                let settingText = Design(setting).canonicalJSON
                                let identity = [environment.id, spec.workload, Design((environment.options ?? [:]).mapValues { .string($0) }).canonicalJSON,
                                                objective.description, agent.id, settingText, String(seed), String(budget)].joined(separator: "\u{1F}")
                                let key = String(SHA256.hexDigest(Array(identity.utf8)).prefix(16))
                                runs.append(SweepRun(
                                    key: key, configuration: configuration,
                                    label: "\(environment.id) \(spec.workload) \(objective) \(agent.id)\(setting.isEmpty ? "" : " \(settingText)") seed \(seed)",
                                    experimentName: "sweep \(name) \(key)"))
                            }
                        }
                    }
                }
            }
        }
        guard Set(runs.map(\.key)).count == runs.count else { throw SweepError.invalid("two runs of the sweep are the same; remove the repeated entries") }
        return runs
    }

    /// The hyperparameter settings of one agent entry: its grid, a registered preset, random samples, or the defaults.
    func settings(of agent: AgentEntry, registry: Registry) throws -> [[String: ParameterValue]] {
        let entry: AgentEntry_ = try AgentEntry_(registry: registry, id: agent.id)
        guard agent.grid == nil || (agent.preset == nil && agent.samples == nil) else {
            throw SweepError.invalid("agent \(agent.id): give a grid, a preset, samples, or a preset with samples, not a grid with either")
        }
        if let samples = agent.samples, samples < 1 { throw SweepError.invalid("agent \(agent.id): samples must be at least 1, not \(samples)") }
        if let grid = agent.grid {
            var settings: [[String: ParameterValue]] = [[:]]
            for key in grid.keys.sorted() {
                guard let values = grid[key], !values.isEmpty else { throw SweepError.invalid("agent \(agent.id): grid \(key) has no values") }
                settings = settings.flatMap { setting in values.map { setting.merging([key: $0]) { $1 } } }
            }
            for setting in settings {
                do {
                    _ = try entry.space.design(from: setting, fillingDefaults: true)
                } catch {
                    throw SweepError.invalid("agent \(agent.id): \(error)")
                }
            }
            return settings
        }
        if let preset = agent.preset {
            guard let settings = entry.grid(preset) else {
                throw SweepError.invalid("agent \(agent.id) has no preset '\(preset)'; it has: \(entry.gridNames.joined(separator: ", "))")
            }
            guard let samples = agent.samples, samples < settings.count else { return settings }
            // A preset with samples: that many of its settings, drawn without replacement, in grid order.
            var generator = SeededGenerator(seed: GymCore.Seeds.derive(0, "sweep preset samples \(agent.id) \(preset)"))
            var order = Array(settings.indices)
            generator.shuffleUpward(&order)
            return Array(order.prefix(samples)).sorted().map { settings[$0] }
        }
        if let samples = agent.samples {
            var generator = SeededGenerator(seed: GymCore.Seeds.derive(0, "sweep samples \(agent.id)"))
            return (0..<samples).map { _ in entry.space.sample(using: &generator).values }
        }
        return [[:]]
    }
}

/// The registry's view of an agent that a sweep needs.
private struct AgentEntry_ {
    let space: ParameterSpace
    let gridNames: [String]
    let grid: (String) -> [[String: ParameterValue]]?

    init(registry: Registry, id: String) throws {
        do {
            let entry = try registry.agent(id)
            space = entry.hyperparameters
            gridNames = entry.grids.keys.sorted()
            grid = { entry.settings(ofGrid: $0) }
        } catch {
            throw SweepError.invalid("\(error)")
        }
    }
}

/// Runs a sweep's missing runs: a run whose experiment completed is skipped; one that was interrupted
/// (or killed mid-run) is resumed; the rest start. Runs go `jobs` at a time.
public struct SweepRunner: Sendable {
    public struct Status: Sendable {
        public var total: Int
        public var skipped: Int
        public var done: Int
        public var running: Int
        /// Runs that stopped with an error.
        public var failed: Int
        /// Runs stopped because their environment could not be reached (resumed by running the sweep again).
        public var interrupted: Int = 0
        /// Trials of this session's runs whose evaluation failed or timed out.
        public var failedTrials: Int = 0
        public var elapsed: Double
        /// Seconds left, from the mean time of the runs finished in this session.
        public var remaining: Double?
    }

    public let registry: Registry
    public let store: TrajectoryStore
    /// Seconds each evaluation in this process may take (see `ExperimentRunner.evaluationTimeout`).
    public var evaluationTimeout: Double?

    public init(registry: Registry, store: TrajectoryStore, evaluationTimeout: Double? = nil) {
        self.registry = registry
        self.store = store
        self.evaluationTimeout = evaluationTimeout
    }

    /// What each run's stored experiment says: completed, resumable (with its id), or absent.
    public func plan(_ runs: [SweepRun]) throws -> (complete: [SweepRun], resume: [(SweepRun, Int64)], start: [SweepRun]) {
        var byName: [String: ExperimentRecord] = [:]
        for record in try store.experiments() {
            guard let name = record.name, name.hasPrefix("sweep ") else { continue }
            if byName[name].map({ $0.status != .completed }) ?? true { byName[name] = record }
        }
        var complete: [SweepRun] = [], resume: [(SweepRun, Int64)] = [], start: [SweepRun] = []
        for run in runs {
            guard let record = byName[run.experimentName] else {
                start.append(run)
                continue
            }
            switch record.status {
            case .completed: complete.append(run)
            case .interrupted, .running: resume.append((run, record.id!))
            case .failed: start.append(run)
            }
        }
        return (complete, resume, start)
    }

    /// Runs what `plan` says is missing; `report` after every run that ends, with its line.
    @discardableResult
    public func run(_ runs: [SweepRun], jobs: Int, report: @escaping @Sendable (Status, String) -> Void = { _, _ in }) throws -> Status {
        let (complete, resume, start) = try plan(runs)
        let work: [(run: SweepRun, resume: Int64?)] = resume.map { ($0.0, $0.1) } + start.map { ($0, nil) }
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var status: Status
            var durations: [Double] = []
            init(_ status: Status) { self.status = status }
        }
        let begun = Date()
        let shared = Shared(Status(total: runs.count, skipped: complete.count, done: complete.count, running: 0, failed: 0, elapsed: 0, remaining: nil))
        let registry = registry, store = store, evaluationTimeout = evaluationTimeout
        // Threads of their own: runs on remote workers wait, and --jobs of them must wait at once on any core count.
        let threads = max(1, min(jobs, work.count))
        Threads.run(threads, threads: threads) { _, _ in
            while true {
                shared.lock.lock()
                guard shared.next < work.count else {
                    shared.lock.unlock()
                    return
                }
                let item = work[shared.next]
                shared.next += 1
                shared.status.running += 1
                shared.lock.unlock()
                let started = Date()
                var line: String
                var failed = false, interrupted = false, failedTrials = 0
                do {
                    let runner = ExperimentRunner(registry: registry, store: store)
                    runner.evaluationTimeout = evaluationTimeout
                    var configuration = item.run.configuration
                    configuration.name = item.run.experimentName
                    let summary = try item.resume.map { try runner.resume($0) } ?? runner.run(configuration)
                    let best = summary.best?.reward.map { String(format: "best %.6g", $0) } ?? "no reward"
                    failedTrials = summary.failedTrials
                    let failures = failedTrials > 0 ? ", \(failedTrials) failed trial(s)" : ""
                    if let interruption = summary.interruption {
                        interrupted = true
                        line = "interrupted \(item.run.label): experiment \(summary.experimentID) stopped after \(summary.trials) trials: \(interruption)"
                    } else {
                        line = "\(item.resume == nil ? "ran" : "resumed") \(item.run.label): experiment \(summary.experimentID), \(best)\(failures)"
                    }
                } catch {
                    failed = true
                    line = "failed \(item.run.label): \(error)"
                }
                shared.lock.lock()
                shared.status.running -= 1
                if failed {
                    shared.status.failed += 1
                } else if interrupted {
                    shared.status.interrupted += 1
                } else {
                    shared.status.done += 1
                }
                shared.status.failedTrials += failedTrials
                shared.durations.append(Date().timeIntervalSince(started))
                shared.status.elapsed = Date().timeIntervalSince(begun)
                let left = work.count - shared.next + shared.status.running
                let mean = shared.durations.reduce(0, +) / Double(shared.durations.count)
                shared.status.remaining = Double(left) * mean / Double(max(1, min(jobs, work.count)))
                let status = shared.status
                shared.lock.unlock()
                report(status, line)
            }
        }
        shared.status.elapsed = Date().timeIntervalSince(begun)
        shared.status.remaining = 0
        return shared.status
    }
}
