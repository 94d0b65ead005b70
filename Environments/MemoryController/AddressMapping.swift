import Foundation
import GymCore

/// Where a request lands: channel, rank, bank group, bank and row, and its column.
public struct DecodedAddress: Hashable, Sendable {
    public var channel: Int
    public var rank: Int
    public var bankGroup: Int
    /// The bank within its group.
    public var bank: Int
    public var row: Int
    public var column: Int
}

/// A DRAMSys address mapping: for each field the address bits that make it up, least significant
/// first, and optional XOR pairs (bit `first` is replaced by `first ⊕ second` before decoding).
public struct AddressMapping: Hashable, Sendable {
    public var byteBits: [Int]
    public var columnBits: [Int]
    public var bankGroupBits: [Int]
    public var bankBits: [Int]
    public var rowBits: [Int]
    public var rankBits: [Int]
    public var channelBits: [Int]
    public var xor: [(first: Int, second: Int)]

    public static func == (lhs: AddressMapping, rhs: AddressMapping) -> Bool {
        lhs.byteBits == rhs.byteBits && lhs.columnBits == rhs.columnBits && lhs.bankGroupBits == rhs.bankGroupBits
            && lhs.bankBits == rhs.bankBits && lhs.rowBits == rhs.rowBits && lhs.rankBits == rhs.rankBits
            && lhs.channelBits == rhs.channelBits && lhs.xor.map(\.first) == rhs.xor.map(\.first)
            && lhs.xor.map(\.second) == rhs.xor.map(\.second)
    }

    public func hash(into hasher: inout Hasher) {
        for bits in [byteBits, columnBits, bankGroupBits, bankBits, rowBits, rankBits, channelBits] { hasher.combine(bits) }
        for pair in xor { hasher.combine(pair.first); hasher.combine(pair.second) }
    }

    public init(byteBits: [Int], columnBits: [Int], bankGroupBits: [Int] = [], bankBits: [Int], rowBits: [Int],
                rankBits: [Int] = [], channelBits: [Int] = [], xor: [(first: Int, second: Int)] = []) {
        self.byteBits = byteBits
        self.columnBits = columnBits
        self.bankGroupBits = bankGroupBits
        self.bankBits = bankBits
        self.rowBits = rowBits
        self.rankBits = rankBits
        self.channelBits = channelBits
        self.xor = xor
    }

    /// The mapping bundled for a preset device, if there is one.
    public static func preset(for spec: MemorySpec) -> AddressMapping? {
        let file: String
        switch spec.name {
        case "DDR4-2400R_8Gb_x8_aligned_with_Ramulator2", "DDR4-2400R_8Gb_x8": file = "am_ddr4_8Gbx8_RoBaRaCoCh"
        case "MICRON_1Gb_DDR3-1600_8bit_G": file = "am_ddr3_8x1Gbx8_dimm_p1KB_rbc"
        default: return nil
        }
        guard let url = BundledFile.url("addressmappings/\(file).json") else { return nil }
        return try? load(url.path)
    }

    /// Row–bank–rank–column–channel order from low to high address bits above the byte offset, built
    /// from the device's geometry: byte, column, bank group, bank, rank, row, channel.
    public static func rowBankColumn(for spec: MemorySpec) -> AddressMapping {
        var next = 0
        func take(_ count: Int) -> [Int] {
            defer { next += log2(count) }
            return Array(next..<(next + log2(count)))
        }
        let byte = take(spec.bytesPerBeat)
        let column = take(spec.columns)
        let group = take(spec.bankGroups)
        let bank = take(spec.banksPerGroup)
        let rank = take(spec.ranks)
        let row = take(spec.rows)
        let channel = take(spec.channels)
        return AddressMapping(byteBits: byte, columnBits: column, bankGroupBits: group, bankBits: bank, rowBits: row,
                              rankBits: rank, channelBits: channel)
    }

    private static func log2(_ value: Int) -> Int { value <= 1 ? 0 : Int.bitWidth - (value - 1).leadingZeroBitCount }

    /// Reads a DRAMSys address-mapping file (`addressmapping` or `CONGEN` wrapper).
    public static func load(_ path: String) throws -> AddressMapping {
        do {
            return try parse(try InputFile.read(path, what: "address-mapping"), source: path)
        } catch let error as InputFileError {
            throw MemoryConfigurationError(error.description)
        }
    }

    /// Parses a DRAMSys address mapping: `{"addressmapping" | "CONGEN": {"BYTE_BIT": [...], ...}}`.
    public static func parse(_ data: Data, source: String = "address mapping") throws -> AddressMapping {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MemoryConfigurationError("\(source): not a JSON object")
        }
        let body = (root["addressmapping"] ?? root["CONGEN"] ?? root["addressMapping"]) as? [String: Any] ?? root
        let known = ["BYTE_BIT", "COLUMN_BIT", "BANKGROUP_BIT", "BANK_BIT", "ROW_BIT", "RANK_BIT", "CHANNEL_BIT",
                     "PSEUDOCHANNEL_BIT", "STACK_BIT", "XOR"]
        for key in body.keys.sorted() where !known.contains(key) {
            throw MemoryConfigurationError("\(source): unknown field '\(key)'; the fields are: \(known.joined(separator: ", "))")
        }
        func bits(_ key: String) throws -> [Int] {
            guard let value = body[key] else { return [] }
            guard let list = value as? [Any], let numbers = list as? [NSNumber] else {
                throw MemoryConfigurationError("\(source): \(key) must be a list of bit indices")
            }
            let indices = numbers.map(\.intValue)
            guard indices.allSatisfy({ (0..<64).contains($0) }) else {
                throw MemoryConfigurationError("\(source): \(key) holds a bit index outside 0…63")
            }
            return indices
        }
        for key in ["PSEUDOCHANNEL_BIT", "STACK_BIT"] where !(try bits(key)).isEmpty {
            throw MemoryConfigurationError("\(source): \(key) belongs to HBM and stacked memories, which are not modelled")
        }
        var pairs: [(first: Int, second: Int)] = []
        if let list = body["XOR"] {
            guard let entries = list as? [[String: Any]] else {
                throw MemoryConfigurationError("\(source): XOR must be a list of {\"FIRST\": bit, \"SECOND\": bit}")
            }
            for entry in entries {
                guard let first = (entry["FIRST"] as? NSNumber)?.intValue, let second = (entry["SECOND"] as? NSNumber)?.intValue,
                      (0..<64).contains(first), (0..<64).contains(second) else {
                    throw MemoryConfigurationError("\(source): XOR entries need FIRST and SECOND bit indices in 0…63")
                }
                pairs.append((first, second))
            }
        }
        let mapping = AddressMapping(
            byteBits: try bits("BYTE_BIT"), columnBits: try bits("COLUMN_BIT"), bankGroupBits: try bits("BANKGROUP_BIT"),
            bankBits: try bits("BANK_BIT"), rowBits: try bits("ROW_BIT"), rankBits: try bits("RANK_BIT"),
            channelBits: try bits("CHANNEL_BIT"), xor: pairs)
        let all = mapping.byteBits + mapping.columnBits + mapping.bankGroupBits + mapping.bankBits + mapping.rowBits
            + mapping.rankBits + mapping.channelBits
        guard Set(all).count == all.count else {
            throw MemoryConfigurationError("\(source): an address bit is used by two fields")
        }
        return mapping
    }

    /// Checks that the mapping addresses exactly the device's geometry.
    public func check(against spec: MemorySpec, source: String = "address mapping") throws {
        func expect(_ field: String, _ bits: [Int], _ count: Int) throws {
            guard 1 << bits.count == count else {
                throw MemoryConfigurationError(
                    "\(source): \(field) has \(bits.count) bits (\(1 << bits.count) values) but the memspec has \(count)")
            }
        }
        try expect("COLUMN_BIT", columnBits, spec.columns)
        try expect("BANKGROUP_BIT", bankGroupBits, spec.bankGroups)
        try expect("BANK_BIT", bankBits, spec.banksPerGroup)
        try expect("ROW_BIT", rowBits, spec.rows)
        try expect("RANK_BIT", rankBits, spec.ranks)
        try expect("CHANNEL_BIT", channelBits, spec.channels)
        guard 1 << byteBits.count == spec.bytesPerBeat else {
            throw MemoryConfigurationError(
                "\(source): BYTE_BIT has \(byteBits.count) bits but a beat of the channel is \(spec.bytesPerBeat) bytes")
        }
    }

    /// Every bit the mapping reads: addresses differing only above these wrap onto the same location.
    public var addressBits: Int {
        (byteBits + columnBits + bankGroupBits + bankBits + rowBits + rankBits + channelBits).max().map { $0 + 1 } ?? 0
    }

    @inline(__always)
    private static func gather(_ address: UInt64, _ bits: [Int]) -> Int {
        var value = 0
        for (position, bit) in bits.enumerated() { value |= Int((address >> UInt64(bit)) & 1) << position }
        return value
    }

    /// Decodes a byte address.
    public func decode(_ address: UInt64) -> DecodedAddress {
        var address = address
        for pair in xor {
            let bit = ((address >> UInt64(pair.first)) ^ (address >> UInt64(pair.second))) & 1
            address = (address & ~(1 << UInt64(pair.first))) | (bit << UInt64(pair.first))
        }
        return DecodedAddress(
            channel: Self.gather(address, channelBits), rank: Self.gather(address, rankBits),
            bankGroup: Self.gather(address, bankGroupBits), bank: Self.gather(address, bankBits),
            row: Self.gather(address, rowBits), column: Self.gather(address, columnBits))
    }
}
