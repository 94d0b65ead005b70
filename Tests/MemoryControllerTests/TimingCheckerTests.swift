import GymCore
import Testing
@testable import MemoryController

/// The checker must catch every rule broken once, and must pass every schedule the simulator makes.
@Suite struct TimingCheckerTests {
    static let ddr4 = MemorySpec.ddr4_2400R

    static func c(_ time: Int, _ kind: CommandKind, rank: Int = 0, bg: Int = 0, bank: Int = 0, row: Int = 0) -> IssuedCommand {
        IssuedCommand(time: time, kind: kind, channel: 0, rank: rank, bankGroup: bg, bank: bank, row: row)
    }

    // DDR4-2400R: CL 16, CWL 12, tRCD 16, tRP 16, tRAS 39, tRC 55, tWR 18, tRTP 9, tWTR_S/L 3/9,
    // tRRD_S/L 4/6, tFAW 26, tCCD_S/L 4/6, tRFC 433, BL/2 4, tCS 2. Each sequence breaks its rule by one
    // cycle (or breaks a state rule once).
    static let cases: [(rule: String, commands: [IssuedCommand])] = [
        ("RD→RD ≥ BL/2 (channel)", [c(0, .act), c(1, .act, rank: 1), c(20, .rd), c(23, .rd, rank: 1)]),
        ("WR→WR ≥ BL/2 (channel)", [c(0, .act), c(1, .act, rank: 1), c(20, .wr), c(23, .wr, rank: 1)]),
        ("RD→RD ≥ tCCD_S", [c(0, .act), c(4, .act, bg: 1), c(20, .rd), c(23, .rd, bg: 1)]),
        ("WR→WR ≥ tCCD_S", [c(0, .act), c(4, .act, bg: 1), c(20, .wr), c(23, .wr, bg: 1)]),
        // 16 + 4 + 2 − 12 = 10
        ("RD→WR ≥ CL + BL/2 + 2 − CWL", [c(0, .act), c(4, .act, bg: 1), c(20, .rd), c(29, .wr, bg: 1)]),
        // 12 + 4 + 3 = 19
        ("WR→RD ≥ CWL + BL/2 + tWTR_S", [c(0, .act), c(4, .act, bg: 1), c(20, .wr), c(38, .rd, bg: 1)]),
        ("ACT→ACT ≥ tRRD_S", [c(0, .act), c(3, .act, bg: 1)]),
        ("at most 4 ACT in tFAW", [c(0, .act), c(4, .act, bg: 1), c(8, .act, bg: 2), c(12, .act, bg: 3), c(25, .act, bank: 1)]),
        ("RD→PREA ≥ tRTP", [c(0, .act), c(40, .rd), c(48, .prea)]),
        // 12 + 4 + 18 = 34
        ("WR→PREA ≥ CWL + BL/2 + tWR", [c(0, .act), c(40, .wr), c(73, .prea)]),
        ("ACT→PREA ≥ tRAS", [c(0, .act), c(38, .prea)]),
        ("ACT→REF ≥ tRC", [c(0, .act), c(39, .pre), c(54, .ref)]),
        ("PRE→REF ≥ tRP", [c(0, .act), c(100, .pre), c(115, .ref)]),
        ("REF→ACT ≥ tRFC", [c(0, .ref), c(432, .act)]),
        ("REF→REF ≥ tRFC", [c(0, .ref), c(432, .ref)]),
        ("PREA→ACT ≥ tRP", [c(0, .act), c(39, .prea), c(54, .act, bg: 1)]),
        // 4 + 2 = 6
        ("RD→RD/WR ≥ BL/2 + tCS (other rank)", [c(0, .act), c(1, .act, rank: 1), c(20, .rd), c(25, .rd, rank: 1)]),
        // 12 + 4 + 2 − 16 = 2
        ("WR→RD ≥ CWL + BL/2 + tCS − CL (other rank)", [c(0, .act), c(1, .act, rank: 1), c(20, .wr), c(21, .rd, rank: 1)]),
        ("ACT→RD/WR ≥ tRCD", [c(0, .act), c(15, .rd)]),
        ("ACT→ACT ≥ tRC", [c(0, .act), c(39, .pre), c(54, .act)]),
        ("ACT→PRE ≥ tRAS", [c(0, .act), c(38, .pre)]),
        ("PRE→ACT ≥ tRP", [c(0, .act), c(50, .pre), c(65, .act)]),
        ("RD→PRE ≥ tRTP", [c(0, .act), c(40, .rd), c(48, .pre)]),
        ("WR→PRE ≥ CWL + BL/2 + tWR", [c(0, .act), c(40, .wr), c(73, .pre)]),
        // 40 + 9 + 16 = 65
        ("RDA→ACT ≥ tRTP + tRP", [c(0, .act), c(40, .rda), c(64, .act)]),
        // 40 + 12 + 4 + 18 + 16 = 90
        ("WRA→ACT ≥ CWL + BL/2 + tWR + tRP", [c(0, .act), c(40, .wra), c(89, .act)]),
        ("RD→RD ≥ tCCD_L", [c(0, .act), c(6, .act, bank: 1), c(22, .rd), c(27, .rd, bank: 1)]),
        ("WR→WR ≥ tCCD_L", [c(0, .act), c(6, .act, bank: 1), c(22, .wr), c(27, .wr, bank: 1)]),
        // 12 + 4 + 9 = 25
        ("WR→RD ≥ CWL + BL/2 + tWTR_L", [c(0, .act), c(6, .act, bank: 1), c(22, .wr), c(46, .rd, bank: 1)]),
        ("ACT→ACT ≥ tRRD_L", [c(0, .act), c(5, .act, bank: 1)]),
        ("ACT to a bank with a row open", [c(0, .act), c(100, .act)]),
        ("RD/WR to a closed bank", [c(0, .rd)]),
        ("RD/WR to a row that is not open", [c(0, .act, row: 1), c(20, .rd, row: 2)]),
        ("REF with a bank open", [c(0, .act), c(100, .ref)]),
        ("one command per cycle", [c(0, .act), c(0, .act, bg: 1)]),
        // RD data at 36…40, WR data at 38…42: the other-rank distance (6) is kept, the bus is not.
        ("data bursts overlap on the bus", [c(0, .act), c(1, .act, rank: 1), c(20, .rd), c(26, .wr, rank: 1)]),
    ]

    @Test func everyRuleOfTheReferenceHasABreakingCase() {
        let names = Set(TimingChecker(spec: Self.ddr4).rules.map(\.name))
        let covered = Set(Self.cases.map(\.rule))
        #expect(names.subtracting(covered).isEmpty, "rules without a case: \(names.subtracting(covered).sorted())")
    }

    @Test(arguments: cases.indices)
    func theCheckerCatchesABrokenRule(_ index: Int) {
        let (rule, commands) = Self.cases[index]
        let found = TimingChecker(spec: Self.ddr4).violations(in: commands)
        #expect(found.contains { $0.rule == rule }, "\(rule) not caught; found \(found)")
    }

    @Test func aLegalSequencePasses() {
        // Row miss, hit, conflict on one bank, and a refresh, each at exactly its minimum distance:
        // ACT 0; RD 16 (tRCD); RD 22 (tCCD_L); PRE 39 (tRAS, and RD + tRTP = 31); ACT 55 (tRP, tRC);
        // WRA 71; implied PRE at max(71 + 34, 55 + 39) = 105; REF at 105 + 16 = 121; ACT at 121 + 433.
        let commands = [Self.c(0, .act, row: 1), Self.c(16, .rd, row: 1), Self.c(22, .rd, row: 1), Self.c(39, .pre),
                        Self.c(55, .act, row: 2), Self.c(71, .wra, row: 2), Self.c(121, .ref), Self.c(554, .act, row: 3)]
        #expect(TimingChecker(spec: Self.ddr4).violations(in: commands).isEmpty)
        var early = commands
        early[6].time = 120
        #expect(TimingChecker(spec: Self.ddr4).violations(in: early).map(\.rule) == ["PRE→REF ≥ tRP"])
    }

    static func twoRanks() -> MemorySpec {
        var spec = MemorySpec.ddr4_2400R
        spec.ranks = 2
        spec.name = "DDR4-2400R two ranks"
        return spec
    }

    static let configurations: [(String, @Sendable (inout ControllerConfig) -> Void)] = [
        ("default", { _ in }),
        ("fifo closed", { $0.scheduler = .fifo; $0.pagePolicy = .closed }),
        ("grp open-adaptive", { $0.scheduler = .frFcfsGrp; $0.pagePolicy = .openAdaptive; $0.requestBufferSize = 32 }),
        ("closed-adaptive shared", { $0.pagePolicy = .closedAdaptive; $0.schedulerBuffer = .shared; $0.requestBufferSize = 64 }),
        ("read-write reorder", { $0.schedulerBuffer = .readWrite; $0.respQueue = .reorder; $0.arbiter = .reorder; $0.maxActiveTransactions = 16 }),
        ("postponed refresh", { $0.refreshMaxPostponed = 8; $0.refreshMaxPulledin = 8; $0.arbiter = .fifo; $0.maxActiveTransactions = 4 }),
    ]

    @Test(arguments: configurations.indices)
    func theSimulatorsSchedulesObeyEveryRule(_ index: Int) throws {
        let (name, adjust) = Self.configurations[index]
        var config = ControllerConfig()
        adjust(&config)
        for memory in [MemorySpec.ddr4_2400R, MemorySpec.ddr3_1600, Self.twoRanks()] {
            let mapping = AddressMapping.preset(for: memory) ?? AddressMapping.rowBankColumn(for: memory)
            for (pattern, interval) in [(GeneratedTraffic.Pattern.uniform, 1), (.sequential, 3), (.uniform, 40), (.strided, 0)] {
                let traffic = GeneratedTraffic(pattern: pattern, requests: 3000, readFraction: 0.6, interval: interval, stride: 8192,
                                               footprint: 1 << 26, seed: 7)
                var stream = GeneratedStream(traffic, burstBytes: memory.burstBytes)
                var simulation = ControllerSimulation(spec: memory, mapping: mapping, config: config, recordCommands: true)
                let result = try simulation.run(&stream)
                #expect(result.reads + result.writes == 3000)
                let violations = TimingChecker(spec: memory).violations(in: result.commands)
                #expect(violations.isEmpty, "\(name), \(memory.name), \(pattern)/\(interval): \(violations.prefix(5))")
            }
        }
    }
}
