import Foundation
import GymCore
import Testing
@testable import MemoryController

/// Latencies and energy computed by hand on an idle DDR4-2400R device, and invariants and sensitivities
/// of the whole model.
@Suite struct SimulatorTests {
    static let ddr4 = MemorySpec.ddr4_2400R
    static let mapping = AddressMapping.preset(for: ddr4)!
    /// tCK = 1000 / 1200 MHz ns.
    static let tCK = 1000.0 / 1200

    /// The byte address of row/bank group/bank/column in the RoBaRaCoCh mapping (column bits 3–12,
    /// bank group 13–14, bank 15–16, row 17–32).
    static func address(row: Int, group: Int = 0, bank: Int = 0, column: Int = 0) -> UInt64 {
        UInt64(row << 17 | bank << 15 | group << 13 | column << 3)
    }

    static func run(_ requests: [MemoryRequest], _ adjust: (inout ControllerConfig) -> Void = { _ in },
                    memory: MemorySpec = ddr4) throws -> SimulationResult {
        var config = ControllerConfig()
        config.refreshPolicy = .noRefresh
        adjust(&config)
        var stream = ArrayRequestStream(requests)
        var simulation = ControllerSimulation(spec: memory, mapping: AddressMapping.preset(for: memory)!, config: config,
                                              recordCommands: true)
        return try simulation.run(&stream)
    }

    @Test func openPageLatenciesOfMissHitAndConflict() throws {
        // Miss at 0: ACT 0, RD at tRCD = 16, data ends 16 + CL 16 + BL/2 4 = 36 cycles = 30 ns.
        // Hit at 1000: RD at 1000, data ends at 1000 + 20: 20 cycles = 16.67 ns.
        // Conflict at 2000: PRE 2000, ACT 2016 (tRP), RD 2032 (tRCD), data ends 2052: 52 cycles = 43.33 ns.
        let result = try Self.run([
            MemoryRequest(time: 0, address: Self.address(row: 5), isWrite: false),
            MemoryRequest(time: 1000, address: Self.address(row: 5, column: 8), isWrite: false),
            MemoryRequest(time: 2000, address: Self.address(row: 9), isWrite: false),
        ])
        #expect(result.readLatencies == [36, 20, 52])
        #expect(result.rowMisses == 1 && result.rowHits == 1 && result.rowConflicts == 1)
        #expect(result.commands.map(\.kind) == [.act, .rd, .rd, .pre, .act, .rd])
        #expect(result.commands.map(\.time) == [0, 16, 1000, 2000, 2016, 2032])
        let report = SimulationReport(memory: Self.ddr4, result: result).evaluation
        #expect(abs(report.metrics["read_latency_avg"]! - Double(36 + 20 + 52) / 3 * Self.tCK) < 1e-9)
        #expect(abs(report.metrics["read_latency_median"]! - 30) < 1e-9)  // nearest rank: 36 cycles
    }

    @Test func closedPageLatenciesAreAlwaysMisses() throws {
        // Each request: ACT, RDA at tRCD = 16, data ends at 36: 30 ns; the implied precharge waits for
        // tRAS (39) after the ACT. A write: ACT, WRA at 16, data ends at 16 + CWL 12 + 4 = 32 cycles.
        let result = try Self.run([
            MemoryRequest(time: 0, address: Self.address(row: 5), isWrite: false),
            MemoryRequest(time: 1000, address: Self.address(row: 5, column: 8), isWrite: false),
            MemoryRequest(time: 2000, address: Self.address(row: 5, column: 16), isWrite: true),
        ]) { $0.pagePolicy = .closed }
        #expect(result.readLatencies == [36, 36])
        #expect(result.writeLatencyTotal == 32)
        #expect(result.rowHits == 0 && result.rowMisses == 3)
        #expect(result.commands.map(\.kind) == [.act, .rda, .act, .rda, .act, .wra])
        // The last WRA's precharge: max(2016 + 12 + 4 + 18, 2000 + 39) = 2050 ends the simulation.
        #expect(result.cycles == 2050)
    }

    @Test func energyOfTwoClosedPageReadsByHand() throws {
        // Closed page, two reads to different banks: ACT 0, RDA 16 (precharge at 39); ACT 100, RDA 116
        // (precharge at 139). Simulated time 139 cycles; active 39 + 39 = 78, precharged 61.
        // Per device, tCK = 0.8333 ns, VDD 1.2 V, VPP 2.5 V (IDD02 = 4.05 mA, other VPP currents 0):
        //   ACT: 2 × 39 × tCK × ((60.75 − 44) × 1.2 + 4.05 × 2.5) = 2 × 39 × tCK × 30.225
        //   PRE: 2 × 16 × tCK × ((60.75 − 38.25) × 1.2 + 4.05 × 2.5) = 2 × 16 × tCK × 37.125
        //   RD:  2 × 4 × tCK × (184.5 − 44) × 1.2 = 2 × 4 × tCK × 168.6
        //   background: 78 × tCK × 44 × 1.2 + 61 × tCK × 38.25 × 1.2
        // times 8 devices: 15717 + 7920 + 8992 + 27456 + 18666 = 78751 pJ.
        let result = try Self.run([
            MemoryRequest(time: 0, address: Self.address(row: 5), isWrite: false),
            MemoryRequest(time: 100, address: Self.address(row: 5, bank: 1), isWrite: false),
        ]) { $0.pagePolicy = .closed }
        #expect(result.cycles == 139)
        #expect(result.activeCycles == [78])
        let energy = EnergyBreakdown(spec: Self.ddr4, result: result)
        #expect(abs(energy.activate - 15717) < 1e-6)
        #expect(abs(energy.precharge - 7920) < 1e-6)
        #expect(abs(energy.read - 8992) < 1e-6)
        #expect(abs(energy.backgroundActive - 27456) < 1e-6)
        #expect(abs(energy.backgroundPrecharged - 18666) < 1e-6)
        #expect(abs(energy.total - 78751) < 1e-6)
        let metrics = SimulationReport(memory: Self.ddr4, result: result).evaluation.metrics
        // Power = 78751 pJ / (139 × 0.8333 ns).
        #expect(abs(metrics["power"]! - 78751 / (139 * Self.tCK)) < 1e-9)
    }

    static func environment(_ workload: String, _ values: [String: String] = [:], seed: UInt64 = 1) throws -> MemoryControllerEnvironment {
        try MemoryControllerEnvironment(options: EnvironmentOptions(workload: workload, seed: seed, values: values))
    }

    static func metrics(_ environment: MemoryControllerEnvironment, _ values: [String: ParameterValue]) throws -> [String: Double] {
        let design = try environment.spec.space.design(from: values, fillingDefaults: true)
        let evaluation = environment.measure(design)
        try #require(evaluation.status == .ok, "\(evaluation.message ?? "")")
        return evaluation.metrics
    }

    @Test(arguments: ["stream", "random", "cloud-1", "cloud-2", "uniform", "sequential"])
    func invariantsHoldOnEveryWorkload(_ workload: String) throws {
        let environment = try Self.environment(workload, workload == "uniform" || workload == "sequential" ? ["requests": "4000"] : [:])
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<6 {
            let design = environment.spec.space.sample(using: &generator)
            let evaluation = environment.measure(design)
            try #require(evaluation.status == .ok)
            let m = evaluation.metrics
            let parts = ["act", "pre", "rd", "wr", "ref", "background_active", "background_precharged"].map { m["energy_\($0)"]! }
            #expect(abs(parts.reduce(0, +) - m["energy"]!) <= 1e-9 * m["energy"]!)
            #expect(parts.allSatisfy { $0 >= 0 })
            #expect(m["bandwidth"]! <= Self.ddr4.peakBandwidth * (1 + 1e-12), "\(m["bandwidth"]!) GB/s above the peak")
            #expect(abs(m["row_hit_rate"]! + m["row_miss_rate"]! + m["row_conflict_rate"]! - 1) < 1e-12)
            #expect(m["read_latency_median"]! <= m["read_latency_p99"]!)
            // Every read takes at least CL + BL/2 = 20 cycles.
            #expect(m["read_latency_median"]! >= 20 * Self.tCK - 1e-9)
            #expect(abs(m["power"]! - m["energy"]! / m["simulated_time"]!) < 1e-9 * m["power"]!)
        }
    }

    @Test func refreshCountFollowsTheRefreshInterval() throws {
        // Paced uniform traffic: one request every 50 cycles for 40,000 requests, about 2,000,000 cycles.
        let environment = try Self.environment("uniform", ["requests": "40000", "interval": "50"])
        let allBank = try Self.metrics(environment, ["RefreshPolicy": "AllBank"])
        let cycles = allBank["simulated_time"]! / Self.tCK
        let expected = cycles / Double(Self.ddr4.timing.REFI)
        #expect(abs(allBank["commands_ref"]! - expected) <= 1, "\(allBank["commands_ref"]!) refreshes in \(cycles) cycles")
        let none = try Self.metrics(environment, ["RefreshPolicy": "NoRefresh"])
        #expect(none["commands_ref"] == 0 && none["energy_ref"] == 0)
        #expect(allBank["energy"]! > none["energy"]!)
    }

    @Test func largerRequestBuffersRaiseBandwidthAndLatencyUnderSaturation() throws {
        // Saturating random 2:1 read/write traffic, as in DRAMSys's sweep.
        let environment = try Self.environment("uniform", ["requests": "6000", "interval": "0"])
        var previous: [String: Double]?
        for size in [1, 4, 16, 64] {
            let m = try Self.metrics(environment, ["RequestBufferSize": .int(size)])
            if let previous {
                #expect(m["bandwidth"]! > previous["bandwidth"]!, "size \(size)")
                #expect(m["read_latency_avg"]! > previous["read_latency_avg"]!, "size \(size)")
            }
            previous = m
        }
    }

    @Test func theRequestBufferSweepMatchesDRAMSys() throws {
        // DRAMSys 5.0 on the same DDR4 device, saturating random 2:1 read/write traffic: RequestBufferSize 1
        // gives 2.2 GB/s; 64 gives 11.1 GB/s at 4.7 µs average latency (reference figures). The knee is
        // set by tFAW: at most 4 ACTs per 26 cycles, 64 B each, at 1.2 GHz = 11.8 GB/s.
        let environment = try Self.environment("uniform", ["requests": "20000", "interval": "0"])
        let one = try Self.metrics(environment, ["RequestBufferSize": 1])
        let sixtyFour = try Self.metrics(environment, ["RequestBufferSize": 64])
        #expect(abs(one["bandwidth"]! / 2.2 - 1) < 0.05, "\(one["bandwidth"]!) GB/s")
        #expect(abs(sixtyFour["bandwidth"]! / 11.1 - 1) < 0.05, "\(sixtyFour["bandwidth"]!) GB/s")
        #expect(abs(sixtyFour["read_latency_avg"]! / 4700 - 1) < 0.1, "\(sixtyFour["read_latency_avg"]!) ns")
        #expect(sixtyFour["bandwidth"]! < 4.0 / 26 * 64 * 1.2)
    }

    @Test func frFcfsHitsOpenRowsMoreOftenThanFifoOnMixedStreams() throws {
        // Two sequential streams in the same bank but different rows, interleaved: FIFO alternates
        // rows and conflicts; FR-FCFS serves the waiting row hits first.
        var requests: [MemoryRequest] = []
        for i in 0..<2000 {
            let column = (i % 128) * 8
            requests.append(MemoryRequest(time: 2 * i, address: Self.address(row: 10 + i / 128, column: column), isWrite: i % 3 == 2))
            requests.append(MemoryRequest(time: 2 * i + 1, address: Self.address(row: 900 + i / 128, column: column), isWrite: false))
        }
        let fifo = try Self.run(requests) { $0.scheduler = .fifo }
        let frfcfs = try Self.run(requests) { $0.scheduler = .frFcfs }
        let grp = try Self.run(requests) { $0.scheduler = .frFcfsGrp }
        let fifoRate = Double(fifo.rowHits) / 4000
        let frfcfsRate = Double(frfcfs.rowHits) / 4000
        #expect(frfcfsRate > fifoRate + 0.3, "FR-FCFS \(frfcfsRate) vs FIFO \(fifoRate)")
        #expect(Double(grp.rowHits) / 4000 > fifoRate + 0.3)
        // FrFcfsGrp groups reads and writes: fewer read/write turnarounds than FR-FCFS.
        func turnarounds(_ result: SimulationResult) -> Int {
            let columns = result.commands.filter(\.kind.isColumn)
            return zip(columns, columns.dropFirst()).filter { $0.kind.isRead != $1.kind.isRead }.count
        }
        #expect(turnarounds(grp) < turnarounds(frfcfs))
    }

    @Test func closedPageNeverHitsARow() throws {
        for workload in ["stream", "random"] {
            let m = try Self.metrics(try Self.environment(workload), ["PagePolicy": "Closed"])
            #expect(m["row_hit_rate"] == 0)
            let open = try Self.metrics(try Self.environment(workload), ["PagePolicy": "Open"])
            if workload == "stream" { #expect(open["row_hit_rate"]! > 0.9) }
        }
    }

    @Test func maxActiveTransactionsBindsOnlyTheFifoAndReorderArbiters() throws {
        let environment = try Self.environment("random")
        let simple = try Self.metrics(environment, ["Arbiter": "Simple", "MaxActiveTransactions": 1])
        let simpleWide = try Self.metrics(environment, ["Arbiter": "Simple", "MaxActiveTransactions": 128])
        #expect(simple == simpleWide)
        let fifoOne = try Self.metrics(environment, ["Arbiter": "Fifo", "MaxActiveTransactions": 1])
        let reorderOne = try Self.metrics(environment, ["Arbiter": "Reorder", "MaxActiveTransactions": 1])
        // One transaction in flight: each read waits for the one before; bandwidth collapses, latency is
        // that of an unloaded device.
        #expect(fifoOne["bandwidth"]! < simple["bandwidth"]! / 3)
        #expect(fifoOne["read_latency_avg"]! < simple["read_latency_avg"]!)
        #expect(reorderOne == fifoOne)
    }

    @Test func reorderedResponsesNeverReturnSoonerThanInCompletionOrder() throws {
        let environment = try Self.environment("uniform", ["requests": "4000", "interval": "2"])
        let fifo = try Self.metrics(environment, ["RespQueue": "Fifo"])
        let reorder = try Self.metrics(environment, ["RespQueue": "Reorder"])
        #expect(reorder["read_latency_avg"]! > fifo["read_latency_avg"]!)
        #expect(reorder["commands_act"] == fifo["commands_act"])
    }

    @Test func ddr3DeviceRunsArchGymsConfiguration() throws {
        let environment = try Self.environment("random", ["memspec": "MICRON_1Gb_DDR3-1600_8bit_G"])
        let m = try Self.metrics(environment, [:])
        // DDR3-1600 x64: 12.8 GB/s peak.
        #expect(MemorySpec.ddr3_1600.peakBandwidth == 12.8)
        #expect(m["bandwidth"]! > 0 && m["bandwidth"]! <= 12.8)
        // Idle read on DDR3-1600: tRCD 10 + CL 10 + BL/2 4 = 24 cycles of 1.25 ns = 30 ns at least.
        #expect(m["read_latency_median"]! >= 30)
    }
}
