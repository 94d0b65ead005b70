import Foundation
import GymCore

/// `MemoryController-v0`: ArchGym's ten DRAMSys memory-controller knobs over a cycle-accurate DDR3/DDR4
/// controller and device model, with DRAMPower's energy equations, driven by memory traces.
public struct MemoryControllerEnvironment: Environment {
    /// The versioned id.
    public static let id = "MemoryController-v0"

    /// ArchGym's four traces, bundled.
    public static let traceWorkloads = ["stream", "random", "cloud-1", "cloud-2"]

    /// The metrics, with units and goals.
    public static let metrics: [MetricSpec] = [
        MetricSpec(name: "read_latency_avg", unit: "ns", goal: .minimize, summary: "mean read latency, controller entry to response"),
        MetricSpec(name: "read_latency_median", unit: "ns", goal: .minimize, summary: "median read latency (nearest rank)"),
        MetricSpec(name: "read_latency_p99", unit: "ns", goal: .minimize, summary: "99th-percentile read latency (nearest rank)"),
        MetricSpec(name: "write_latency_avg", unit: "ns", goal: .minimize, summary: "mean write latency (0 when there are no writes)"),
        MetricSpec(name: "simulated_time", unit: "ns", goal: .minimize, summary: "until the last response, refresh or auto-precharge ends"),
        MetricSpec(name: "bandwidth", unit: "GB/s", goal: .maximize, summary: "bytes moved over simulated time"),
        MetricSpec(name: "energy", unit: "pJ", goal: .minimize, summary: "DRAMPower energy of all ranks"),
        MetricSpec(name: "power", unit: "mW", goal: .minimize, summary: "energy over simulated time"),
        MetricSpec(name: "row_hit_rate", unit: "1", goal: .maximize, summary: "requests served from an open row"),
        MetricSpec(name: "row_miss_rate", unit: "1", goal: .minimize, summary: "requests that found their bank closed"),
        MetricSpec(name: "row_conflict_rate", unit: "1", goal: .minimize, summary: "requests that found another row open"),
        MetricSpec(name: "energy_act", unit: "pJ", goal: .minimize, summary: "activation energy"),
        MetricSpec(name: "energy_pre", unit: "pJ", goal: .minimize, summary: "precharge energy (PRE, PREA per bank, auto-precharge)"),
        MetricSpec(name: "energy_rd", unit: "pJ", goal: .minimize, summary: "read burst energy"),
        MetricSpec(name: "energy_wr", unit: "pJ", goal: .minimize, summary: "write burst energy"),
        MetricSpec(name: "energy_ref", unit: "pJ", goal: .minimize, summary: "refresh energy"),
        MetricSpec(name: "energy_background_active", unit: "pJ", goal: .minimize, summary: "background with a bank open or refreshing"),
        MetricSpec(name: "energy_background_precharged", unit: "pJ", goal: .minimize, summary: "background with every bank precharged"),
        MetricSpec(name: "commands_act", unit: "commands", goal: .minimize, summary: "ACT commands"),
        MetricSpec(name: "commands_pre", unit: "commands", goal: .minimize, summary: "precharges: PRE, banks closed by PREA, and RDA/WRA"),
        MetricSpec(name: "commands_rd", unit: "commands", goal: .minimize, summary: "RD and RDA commands"),
        MetricSpec(name: "commands_wr", unit: "commands", goal: .minimize, summary: "WR and WRA commands"),
        MetricSpec(name: "commands_ref", unit: "commands", goal: .minimize, summary: "REF commands"),
    ]

    /// The environment's options.
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec(key: "memspec", summary: "a DRAMSys memspec JSON file, or a preset: \(MemorySpec.presetNames.joined(separator: ", "))",
                   defaultValue: "DDR4-2400R_8Gb_x8", kind: .file, presets: MemorySpec.presetNames),
        OptionSpec(key: "addressmapping", summary: "a DRAMSys address-mapping JSON file (default: the preset's, else row-bank-column)", kind: .file),
        OptionSpec(key: "trace_clock_mhz", summary: "clock of the trace player's times, as DRAMSys's clkMhz (default: the memory clock)"),
        OptionSpec(key: "requests", summary: "requests of a generated workload", defaultValue: "10000"),
        OptionSpec(key: "read_fraction", summary: "fraction of reads of a generated workload, 0…1", defaultValue: "0.67"),
        OptionSpec(key: "interval", summary: "memory cycles between generated requests (0: as fast as the controller accepts)", defaultValue: "1"),
        OptionSpec(key: "stride", summary: "bytes between addresses of the strided workload", defaultValue: "256"),
        OptionSpec(key: "footprint", summary: "bytes of address space a generated workload touches (default: the whole device)"),
    ]

    /// The spec of this instance.
    public let spec: EnvironmentSpec
    /// The device.
    public let memory: MemorySpec
    /// The address mapping.
    public let mapping: AddressMapping
    private let source: Source

    enum Source: Hashable, Sendable {
        case file(path: String, cyclesPerTick: Double)
        case generated(GeneratedTraffic)
    }

    /// Creates an instance: workload one of ArchGym's traces (`random` by default), a generator
    /// (`sequential`, `uniform`, `strided`), or the path of a `.stl`/`.rstl` trace.
    public init(options: EnvironmentOptions) throws {
        var spec = EnvironmentSpec(
            id: Self.id, summary: "cycle-accurate DDR4/DDR3 memory controller with DRAMPower energy, driven by memory traces",
            space: ControllerConfig.space, metrics: Self.metrics,
            workloads: Self.traceWorkloads.map { WorkloadSpec(name: $0, summary: "ArchGym's \($0) trace: 10,000 reads, one per cycle") } + [
                WorkloadSpec(name: "sequential", summary: "generated: consecutive bursts (options requests, read_fraction, interval, footprint)"),
                WorkloadSpec(name: "uniform", summary: "generated: uniformly random bursts over the footprint"),
                WorkloadSpec(name: "strided", summary: "generated: addresses a fixed stride apart (option stride)"),
                WorkloadSpec(name: "<file>.stl", summary: "any DRAMSys trace file by path (.stl absolute times, .rstl relative)"),
            ],
            workload: "random", options: Self.optionSpecs,
            defaultObjective: .metric("simulated_time", .minimize),
            suggestedObjectives: [
                "read-latency": .metric("read_latency_avg", .minimize),
                "energy": .metric("energy", .minimize),
                "energy-delay": Objective(kind: .inverse, terms: [.init(metric: "energy"), .init(metric: "simulated_time")]),
                "bandwidth": .metric("bandwidth", .maximize),
                "latency-vs-power": Objective(kind: .pareto, terms: [.init(metric: "read_latency_avg", goal: .minimize),
                                                                    .init(metric: "power", goal: .minimize)]),
                "archgym-power": Objective(kind: .target, terms: [.init(metric: "power", value: 1000)]),
            ])
        let requested = options.workload
        let isFile = requested.map { $0.lowercased().hasSuffix(".stl") || $0.lowercased().hasSuffix(".rstl") } ?? false
        if isFile {
            var probe = options
            probe.workload = nil
            _ = try spec.resolveWorkload(probe)
            spec.workload = requested!
        } else {
            spec.workload = try spec.resolveWorkload(options)
        }
        let values = options.values
        do {
            memory = try MemorySpec.named(values["memspec"] ?? "DDR4-2400R_8Gb_x8")
        } catch let error as MemoryConfigurationError {
            throw EnvironmentError.invalidOption(key: "memspec", value: values["memspec"] ?? "", reason: error.description)
        }
        if let path = values["addressmapping"] {
            do {
                mapping = try AddressMapping.load(path)
                try mapping.check(against: memory, source: path)
            } catch let error as MemoryConfigurationError {
                throw EnvironmentError.invalidOption(key: "addressmapping", value: path, reason: error.description)
            }
        } else {
            mapping = AddressMapping.preset(for: memory) ?? AddressMapping.rowBankColumn(for: memory)
        }
        func number(_ key: String, _ fallback: Double, _ range: ClosedRange<Double>, whole: Bool) throws -> Double {
            guard let text = values[key] else { return fallback }
            guard let value = Double(text), range.contains(value), !whole || value == value.rounded() else {
                throw EnvironmentError.invalidOption(
                    key: key, value: text,
                    reason: "expected \(whole ? "a whole number" : "a number") from \(Parameter.numberText(range.lowerBound)) to \(Parameter.numberText(range.upperBound))")
            }
            return value
        }
        let traceClock = try number("trace_clock_mhz", memory.timing.clockMHz, 1...100_000, whole: false)
        let workload = spec.workload
        if isFile || Self.traceWorkloads.contains(workload) {
            for key in ["requests", "read_fraction", "interval", "stride", "footprint"] where values[key] != nil {
                throw EnvironmentError.invalidOption(key: key, value: values[key]!, reason: "only generated workloads (sequential, uniform, strided) read it")
            }
            let path: String
            if isFile {
                path = workload
            } else {
                guard let url = BundledFile.url("traces/\(workload).stl") else {
                    throw EnvironmentError.invalidOption(key: "workload", value: workload, reason: "the bundled trace is missing from the installation")
                }
                path = url.path
            }
            source = .file(path: path, cyclesPerTick: memory.timing.clockMHz / traceClock)
            // The whole trace is checked now, so a bad one is refused before anything is simulated.
            do {
                var stream = try TraceFileStream(path: path, cyclesPerTick: memory.timing.clockMHz / traceClock, burstBytes: memory.burstBytes,
                                                 maximumCycle: TraceTiming.maximumCycle(clockMHz: memory.timing.clockMHz))
                try stream.validate()
            } catch let error as TraceError {
                throw EnvironmentError.invalidOption(key: "workload", value: path, reason: error.description)
            } catch let error as InputFileError {
                throw EnvironmentError.invalidOption(key: "workload", value: path, reason: error.reason)
            } catch let error as MemoryConfigurationError {
                throw EnvironmentError.invalidOption(key: "workload", value: path, reason: error.description)
            }
        } else {
            if values["trace_clock_mhz"] != nil {
                throw EnvironmentError.invalidOption(key: "trace_clock_mhz", value: values["trace_clock_mhz"]!,
                                                     reason: "only trace workloads read it; generated requests are timed in memory cycles")
            }
            let pattern = GeneratedTraffic.Pattern(rawValue: workload)!
            if values["stride"] != nil && pattern != .strided {
                throw EnvironmentError.invalidOption(key: "stride", value: values["stride"]!, reason: "only the strided workload reads it")
            }
            let footprint = try number("footprint", Double(memory.capacity), Double(memory.burstBytes)...Double(memory.capacity), whole: true)
            let requests = Int(try number("requests", 10_000, 1...100_000_000, whole: true))
            let interval = Int(try number("interval", 1, 0...1_000_000, whole: true))
            // The last request arrives at requests × interval: no later than a trace may.
            let span = TraceTiming.maximumCycle(clockMHz: memory.timing.clockMHz)
            guard requests * interval <= span else {
                throw EnvironmentError.invalidOption(
                    key: "interval", value: String(interval),
                    reason: "\(requests) requests \(interval) cycles apart span \(requests * interval) cycles; the limit is \(span) cycles (\(Parameter.numberText(TraceTiming.maximumSpanSeconds)) s of simulated time)")
            }
            source = .generated(GeneratedTraffic(
                pattern: pattern, requests: requests,
                readFraction: try number("read_fraction", 0.67, 0...1, whole: false),
                interval: interval,
                stride: Int(try number("stride", 256, 1...Double(memory.capacity), whole: true)),
                footprint: Int(footprint), seed: options.seed))
        }
        self.spec = spec
    }

    /// Simulates the workload under the controller configuration `design`.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        let result = try simulate(ControllerConfig(design))
        return SimulationReport(memory: memory, result: result).evaluation
    }

    /// Runs the workload under `config`, optionally recording every command.
    public func simulate(_ config: ControllerConfig, recordCommands: Bool = false) throws -> SimulationResult {
        var simulation = ControllerSimulation(spec: memory, mapping: mapping, config: config, recordCommands: recordCommands)
        switch source {
        case .file(let path, let cyclesPerTick):
            var stream = try TraceFileStream(path: path, cyclesPerTick: cyclesPerTick, burstBytes: memory.burstBytes,
                                             maximumCycle: TraceTiming.maximumCycle(clockMHz: memory.timing.clockMHz))
            return try simulation.run(&stream)
        case .generated(let traffic):
            var stream = GeneratedStream(traffic, burstBytes: memory.burstBytes)
            return try simulation.run(&stream)
        }
    }

    /// Reads a flat design, or a DRAMSys mcconfig (`{"mcconfig": {…}}` or its inner object).
    public func design(fromJSON text: String) throws -> Design {
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw DesignError.malformed("not JSON: \(error)")
        }
        return Design(try ControllerConfig.designValues(fromMCConfig: json))
    }
}

/// Metrics with units from a simulation's counts.
public struct SimulationReport: Sendable {
    public var memory: MemorySpec
    public var result: SimulationResult
    public var energy: EnergyBreakdown

    public init(memory: MemorySpec, result: SimulationResult) {
        self.memory = memory
        self.result = result
        energy = EnergyBreakdown(spec: memory, result: result)
    }

    /// The `p`-quantile of sorted values by nearest rank.
    static func nearestRank(_ sorted: [Int32], _ p: Double) -> Int32 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The evaluation: metrics in their units, and counts in the details.
    public var evaluation: Evaluation {
        let tCK = memory.clockPeriod
        let sorted = result.readLatencies.sorted()
        let reads = Double(result.reads)
        let writes = Double(result.writes)
        let requests = max(1, reads + writes)
        let time = Double(result.cycles) * tCK
        let bytes = (reads + writes) * Double(memory.burstBytes)
        func count(_ kind: CommandKind) -> Double { Double(result.count(kind)) }
        var metrics: [String: Double] = [
            "read_latency_avg": reads > 0 ? Double(sorted.reduce(0) { $0 + Int($1) }) / reads * tCK : 0,
            "read_latency_median": Double(Self.nearestRank(sorted, 0.5)) * tCK,
            "read_latency_p99": Double(Self.nearestRank(sorted, 0.99)) * tCK,
            "write_latency_avg": writes > 0 ? Double(result.writeLatencyTotal) / writes * tCK : 0,
            "simulated_time": time,
            "bandwidth": time > 0 ? bytes / time : 0,
            "energy": energy.total,
            "power": time > 0 ? energy.total / time : 0,
            "row_hit_rate": Double(result.rowHits) / requests,
            "row_miss_rate": Double(result.rowMisses) / requests,
            "row_conflict_rate": Double(result.rowConflicts) / requests,
            "commands_act": count(.act),
            "commands_pre": count(.pre) + count(.rda) + count(.wra) + Double(result.prechargeAllBanks),
            "commands_rd": count(.rd) + count(.rda),
            "commands_wr": count(.wr) + count(.wra),
            "commands_ref": count(.ref),
        ]
        for term in energy.terms { metrics["energy_\(term.name)"] = term.value }
        var details: [String: JSONValue] = [
            "memspec": .string(memory.name), "reads": .number(reads), "writes": .number(writes),
            "cycles": .number(Double(result.cycles)), "peak_bandwidth": .number(memory.peakBandwidth),
        ]
        for kind in CommandKind.allCases { details["count_\(kind.description.lowercased())"] = .number(count(kind)) }
        if result.wrappedAddresses > 0 { details["addresses_beyond_mapping"] = .number(Double(result.wrappedAddresses)) }
        return Evaluation(metrics: metrics, details: details)
    }
}
