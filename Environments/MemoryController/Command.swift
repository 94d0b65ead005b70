/// A DRAM command.
public enum CommandKind: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case act, pre, prea, rd, rda, wr, wra, ref

    public var description: String {
        switch self {
        case .act: "ACT"
        case .pre: "PRE"
        case .prea: "PREA"
        case .rd: "RD"
        case .rda: "RDA"
        case .wr: "WR"
        case .wra: "WRA"
        case .ref: "REF"
        }
    }

    /// RD, RDA, WR or WRA.
    public var isColumn: Bool { self == .rd || self == .rda || self == .wr || self == .wra }
    /// RD or RDA.
    public var isRead: Bool { self == .rd || self == .rda }
    /// WR or WRA.
    public var isWrite: Bool { self == .wr || self == .wra }
    /// PREA and REF address a whole rank.
    public var isRankCommand: Bool { self == .prea || self == .ref }
}

/// One command as issued: its clock cycle and target. Rank commands leave bank group, bank and row at 0.
public struct IssuedCommand: Hashable, Sendable, CustomStringConvertible {
    public var time: Int
    public var kind: CommandKind
    public var channel: Int
    public var rank: Int
    public var bankGroup: Int
    public var bank: Int
    public var row: Int

    public init(time: Int, kind: CommandKind, channel: Int = 0, rank: Int = 0, bankGroup: Int = 0, bank: Int = 0, row: Int = 0) {
        self.time = time
        self.kind = kind
        self.channel = channel
        self.rank = rank
        self.bankGroup = bankGroup
        self.bank = bank
        self.row = row
    }

    public var description: String {
        kind.isRankCommand
            ? "\(time): \(kind) ch\(channel) r\(rank)"
            : "\(time): \(kind) ch\(channel) r\(rank) bg\(bankGroup) b\(bank) row \(row)"
    }
}
