/// An independent check of a command log against the device's timing rules and bank states.
///
/// It shares nothing with the simulator but the memspec: it replays the commands in time order and
/// compares every pair of commands within the longest rule's reach against a table of minimum
/// distances per scope (channel, rank, other rank of the channel, bank group, bank), counts activates in
/// every tFAW window, keeps data bursts apart on the bus, allows one command per cycle, and checks that
/// ACT finds its bank closed, RD/WR find it open, and REF finds the whole rank precharged. RDA and WRA
/// are replayed as their column command plus an implied precharge tRTP (reads) or CWL + BL/2 + tWR
/// (writes) later.
public struct TimingChecker: Sendable {
    /// A broken rule, with the two commands involved (the first is nil for single-command rules).
    public struct Violation: Hashable, Sendable, CustomStringConvertible {
        public var rule: String
        public var earlier: IssuedCommand?
        public var later: IssuedCommand
        public var description: String {
            if let earlier { return "\(rule): \(earlier) then \(later)" }
            return "\(rule): \(later)"
        }
    }

    enum Scope { case channel, rank, otherRank, bankGroup, bank }
    enum Event: Int, Hashable, CaseIterable { case act, pre, prea, rd, rda, wr, wra, ref, autoPre }

    struct Rule {
        var name: String
        var scope: Scope
        var first: Set<Event>
        var second: Set<Event>
        var distance: Int
    }

    let spec: MemorySpec
    let rules: [Rule]
    /// The rules by (earlier event, later event), and how far back a later event must look.
    private let rulesByPair: [[[Rule]]]
    private let reachByLater: [Int]

    public init(spec: MemorySpec) {
        self.spec = spec
        let t = spec.timing
        let bl2 = spec.burstLength / spec.dataRate
        let reads: Set<Event> = [.rd, .rda]
        let writes: Set<Event> = [.wr, .wra]
        let columns = reads.union(writes)
        let precharges: Set<Event> = [.pre, .autoPre]
        var rules = [
            Rule(name: "RD→RD ≥ BL/2 (channel)", scope: .channel, first: reads, second: reads, distance: bl2),
            Rule(name: "WR→WR ≥ BL/2 (channel)", scope: .channel, first: writes, second: writes, distance: bl2),
            Rule(name: "RD→RD ≥ tCCD_S", scope: .rank, first: reads, second: reads, distance: t.CCD_S),
            Rule(name: "WR→WR ≥ tCCD_S", scope: .rank, first: writes, second: writes, distance: t.CCD_S),
            Rule(name: "RD→WR ≥ CL + BL/2 + 2 − CWL", scope: .rank, first: reads, second: writes, distance: t.CL + bl2 + 2 - t.CWL),
            Rule(name: "WR→RD ≥ CWL + BL/2 + tWTR_S", scope: .rank, first: writes, second: reads, distance: t.CWL + bl2 + t.WTR_S),
            Rule(name: "ACT→ACT ≥ tRRD_S", scope: .rank, first: [.act], second: [.act], distance: t.RRD_S),
            Rule(name: "RD→PREA ≥ tRTP", scope: .rank, first: reads, second: [.prea], distance: t.RTP),
            Rule(name: "WR→PREA ≥ CWL + BL/2 + tWR", scope: .rank, first: writes, second: [.prea], distance: t.CWL + bl2 + t.WR),
            Rule(name: "ACT→PREA ≥ tRAS", scope: .rank, first: [.act], second: [.prea], distance: t.RAS),
            Rule(name: "ACT→REF ≥ tRC", scope: .rank, first: [.act], second: [.ref], distance: t.RC),
            Rule(name: "PRE→REF ≥ tRP", scope: .rank, first: [.pre, .prea, .autoPre], second: [.ref], distance: t.RP),
            Rule(name: "REF→ACT ≥ tRFC", scope: .rank, first: [.ref], second: [.act], distance: t.RFC),
            Rule(name: "REF→REF ≥ tRFC", scope: .rank, first: [.ref], second: [.ref], distance: t.RFC),
            Rule(name: "PREA→ACT ≥ tRP", scope: .rank, first: [.prea], second: [.act], distance: t.RP),
            Rule(name: "RD→RD/WR ≥ BL/2 + tCS (other rank)", scope: .otherRank, first: reads, second: columns, distance: bl2 + t.CS),
            Rule(name: "WR→RD ≥ CWL + BL/2 + tCS − CL (other rank)", scope: .otherRank, first: writes, second: reads,
                 distance: t.CWL + bl2 + t.CS - t.CL),
            Rule(name: "ACT→RD/WR ≥ tRCD", scope: .bank, first: [.act], second: columns, distance: t.RCD),
            Rule(name: "ACT→ACT ≥ tRC", scope: .bank, first: [.act], second: [.act], distance: t.RC),
            Rule(name: "ACT→PRE ≥ tRAS", scope: .bank, first: [.act], second: precharges, distance: t.RAS),
            Rule(name: "PRE→ACT ≥ tRP", scope: .bank, first: precharges, second: [.act], distance: t.RP),
            Rule(name: "RD→PRE ≥ tRTP", scope: .bank, first: reads, second: [.pre], distance: t.RTP),
            Rule(name: "WR→PRE ≥ CWL + BL/2 + tWR", scope: .bank, first: writes, second: [.pre], distance: t.CWL + bl2 + t.WR),
            Rule(name: "RDA→ACT ≥ tRTP + tRP", scope: .bank, first: [.rda], second: [.act], distance: t.RTP + t.RP),
            Rule(name: "WRA→ACT ≥ CWL + BL/2 + tWR + tRP", scope: .bank, first: [.wra], second: [.act], distance: t.CWL + bl2 + t.WR + t.RP),
        ]
        if spec.standard == .ddr4 {
            rules += [
                Rule(name: "RD→RD ≥ tCCD_L", scope: .bankGroup, first: reads, second: reads, distance: t.CCD_L),
                Rule(name: "WR→WR ≥ tCCD_L", scope: .bankGroup, first: writes, second: writes, distance: t.CCD_L),
                Rule(name: "WR→RD ≥ CWL + BL/2 + tWTR_L", scope: .bankGroup, first: writes, second: reads, distance: t.CWL + bl2 + t.WTR_L),
                Rule(name: "ACT→ACT ≥ tRRD_L", scope: .bankGroup, first: [.act], second: [.act], distance: t.RRD_L),
            ]
        }
        self.rules = rules
        let events = Event.allCases
        rulesByPair = events.map { first in events.map { second in rules.filter { $0.first.contains(first) && $0.second.contains(second) } } }
        reachByLater = events.map { second in (rules.filter { $0.second.contains(second) }.map(\.distance).max() ?? 0) + 1 }
    }

    private struct Entry {
        var command: IssuedCommand
        var event: Event
        var implied: Bool
    }

    private static func event(_ kind: CommandKind) -> Event {
        switch kind {
        case .act: .act
        case .pre: .pre
        case .prea: .prea
        case .rd: .rd
        case .rda: .rda
        case .wr: .wr
        case .wra: .wra
        case .ref: .ref
        }
    }

    /// Every violation in `commands` (any order; they are replayed in time order).
    public func violations(in commands: [IssuedCommand]) -> [Violation] {
        let t = spec.timing
        let bl2 = spec.burstLength / spec.dataRate
        var entries: [Entry] = []
        var lastActivate: [[Int]: Int] = [:]
        for command in commands.enumerated().sorted(by: { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }).map(\.element) {
            entries.append(Entry(command: command, event: Self.event(command.kind), implied: false))
            let bank = [command.channel, command.rank, command.bankGroup, command.bank]
            if command.kind == .act { lastActivate[bank] = command.time }
            if command.kind == .rda || command.kind == .wra {
                // The implied precharge waits for tRAS after the bank's ACT (tRAS lockout).
                var implied = command
                implied.time = max(command.time + (command.kind == .rda ? t.RTP : t.CWL + bl2 + t.WR),
                                   (lastActivate[bank] ?? Int.min / 4) + t.RAS)
                entries.append(Entry(command: implied, event: .autoPre, implied: true))
            }
        }
        entries = entries.enumerated().sorted { ($0.element.command.time, $0.offset) < ($1.element.command.time, $1.offset) }.map(\.element)
        var found: [Violation] = []
        struct BankKey: Hashable { var channel, rank, group, bank: Int }
        var open: [BankKey: Int] = [:]
        var activates: [[Int]: [Int]] = [:]
        var lastCommandTime: [Int: Int] = [:]
        var bursts: [Int: [(start: Int, end: Int, command: IssuedCommand)]] = [:]
        for (index, entry) in entries.enumerated() {
            let c = entry.command
            let key = BankKey(channel: c.channel, rank: c.rank, group: c.bankGroup, bank: c.bank)
            if !entry.implied {
                // One command per cycle on a channel's command bus.
                if let last = lastCommandTime[c.channel], last == c.time {
                    found.append(Violation(rule: "one command per cycle", earlier: nil, later: c))
                }
                lastCommandTime[c.channel] = c.time
                // Bank states.
                switch c.kind {
                case .act:
                    if open[key] != nil { found.append(Violation(rule: "ACT to a bank with a row open", earlier: nil, later: c)) }
                    open[key] = c.row
                    var window = activates[[c.channel, c.rank], default: []]
                    if window.count == 4 && c.time - window[0] < t.FAW {
                        found.append(Violation(rule: "at most 4 ACT in tFAW", earlier: nil, later: c))
                    }
                    window.append(c.time)
                    if window.count > 4 { window.removeFirst() }
                    activates[[c.channel, c.rank]] = window
                case .pre:
                    open[key] = nil
                case .prea:
                    open = open.filter { $0.key.channel != c.channel || $0.key.rank != c.rank }
                case .rd, .rda, .wr, .wra:
                    if let row = open[key] {
                        if row != c.row { found.append(Violation(rule: "RD/WR to a row that is not open", earlier: nil, later: c)) }
                    } else {
                        found.append(Violation(rule: "RD/WR to a closed bank", earlier: nil, later: c))
                    }
                    if c.kind == .rda || c.kind == .wra { open[key] = nil }
                    let start = c.time + (c.kind.isRead ? t.CL : t.CWL)
                    var list = bursts[c.channel, default: []]
                    for burst in list where burst.end > start && burst.start < start + bl2 {
                        found.append(Violation(rule: "data bursts overlap on the bus", earlier: burst.command, later: c))
                    }
                    list.append((start, start + bl2, c))
                    if list.count > 8 { list.removeFirst() }
                    bursts[c.channel] = list
                case .ref:
                    if open.keys.contains(where: { $0.channel == c.channel && $0.rank == c.rank }) {
                        found.append(Violation(rule: "REF with a bank open", earlier: nil, later: c))
                    }
                }
            }
            // Pairwise distances to earlier commands within reach.
            var back = index - 1
            let reach = reachByLater[entry.event.rawValue]
            while back >= 0 {
                let earlier = entries[back]
                let e = earlier.command
                guard c.time - e.time < reach else { break }
                back -= 1
                let pairRules = rulesByPair[earlier.event.rawValue][entry.event.rawValue]
                guard !pairRules.isEmpty, e.channel == c.channel else { continue }
                let sameRank = e.rank == c.rank
                let sameGroup = sameRank && e.bankGroup == c.bankGroup
                let sameBank = sameGroup && e.bank == c.bank
                for rule in pairRules {
                    let applies: Bool
                    switch rule.scope {
                    case .channel: applies = true
                    case .rank: applies = sameRank
                    case .otherRank: applies = !sameRank
                    case .bankGroup: applies = sameGroup && !earlier.event.isRankWide && !entry.event.isRankWide
                    case .bank: applies = sameBank && !earlier.event.isRankWide && !entry.event.isRankWide
                    }
                    if applies && c.time - e.time < rule.distance {
                        found.append(Violation(rule: rule.name, earlier: e, later: c))
                    }
                }
            }
        }
        return found
    }
}

extension TimingChecker.Event {
    var isRankWide: Bool { self == .prea || self == .ref }
}
