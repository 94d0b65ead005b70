import Foundation
import GymCore

/// A DRAM device and its organisation, read from a DRAMSys memspec: architecture, timings in clock
/// cycles, and currents and voltages for the energy model.
public struct MemorySpec: Hashable, Sendable {
    /// The DRAM standards the simulator models.
    public enum Standard: String, Hashable, Sendable { case ddr3 = "DDR3", ddr4 = "DDR4" }

    /// The device's name (`memoryId`).
    public var name: String
    /// DDR3 (no bank groups) or DDR4.
    public var standard: Standard

    // Architecture.
    public var burstLength: Int
    public var dataRate: Int
    public var channels: Int
    public var ranks: Int
    /// Bank groups per rank (1 for DDR3).
    public var bankGroups: Int
    /// Banks per rank (all groups together), as DRAMSys's `nbrOfBanks`.
    public var banks: Int
    public var rows: Int
    public var columns: Int
    /// Data bits per device.
    public var width: Int
    /// Devices per rank.
    public var devices: Int

    /// Timings in clock cycles.
    public var timing: Timing
    /// Currents (mA) and voltages (V).
    public var power: Power

    /// The timings DRAMSys's `memtimingspec` gives, in clock cycles, and the clock.
    public struct Timing: Hashable, Sendable {
        public var clockMHz: Double
        public var CL: Int, CWL: Int, RCD: Int, RP: Int, RAS: Int, RC: Int, WR: Int, RTP: Int
        public var WTR_S: Int, WTR_L: Int, RRD_S: Int, RRD_L: Int, CCD_S: Int, CCD_L: Int
        public var FAW: Int, RFC: Int, REFI: Int
        /// The extra gap between data bursts of different ranks (JEDEC tCS; 2 clocks).
        public var CS: Int
    }

    /// Currents in mA and voltages in V, as DRAMPower uses them. Currents of the VPP domain (`…2`)
    /// are zero where the memspec does not give them.
    public struct Power: Hashable, Sendable {
        public var idd0: Double, idd2n: Double, idd3n: Double, idd4r: Double, idd4w: Double, idd5: Double, idd6: Double
        public var idd02: Double, idd2n2: Double, idd3n2: Double, idd4r2: Double, idd4w2: Double, idd52: Double, idd62: Double
        public var vdd: Double, vdd2: Double
    }

    /// Banks in one bank group.
    public var banksPerGroup: Int { banks / bankGroups }
    /// Clock period in nanoseconds.
    public var clockPeriod: Double { 1000 / timing.clockMHz }
    /// Clock cycles a burst occupies the data bus (BL / data rate).
    public var burstCycles: Int { burstLength / dataRate }
    /// Bytes one burst moves over the whole rank.
    public var burstBytes: Int { burstLength * width * devices / 8 }
    /// Bytes per column access of one device multiplied out over the rank (the byte-offset span).
    public var bytesPerBeat: Int { width * devices / 8 }
    /// Peak data rate of all channels, in GB/s.
    public var peakBandwidth: Double {
        Double(channels * bytesPerBeat * dataRate) * timing.clockMHz * 1e6 / 1e9
    }
    /// Capacity in bytes.
    public var capacity: Int { channels * ranks * banks * rows * columns * bytesPerBeat }
}

/// A memspec, address mapping, trace or controller configuration that cannot be used; the message
/// names the file, the field and what is allowed.
public struct MemoryConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension MemorySpec {
    /// The bundled presets by name: the default DDR4-2400R 8 Gb x8, ArchGym's DDR3-1600 and a 4 Gb DDR4.
    public static let presetNames = ["DDR4-2400R_8Gb_x8", "MICRON_1Gb_DDR3-1600_8bit_G", "JEDEC_4Gb_DDR4-2400_8bit_A"]

    /// The default device: DDR4-2400R, 8 Gb x8, one rank of eight devices.
    public static var ddr4_2400R: MemorySpec { try! preset("DDR4-2400R_8Gb_x8") }

    /// ArchGym's device: Micron 1 Gb DDR3-1600 x8.
    public static var ddr3_1600: MemorySpec { try! preset("MICRON_1Gb_DDR3-1600_8bit_G") }

    /// A bundled preset by name.
    public static func preset(_ name: String) throws -> MemorySpec {
        guard presetNames.contains(name), let url = BundledFile.url("memspecs/\(name).json") else {
            throw MemoryConfigurationError("no memspec preset '\(name)'; the presets are: \(presetNames.joined(separator: ", "))")
        }
        return try load(url.path)
    }

    /// A preset name or the path of a DRAMSys memspec JSON file.
    public static func named(_ nameOrPath: String) throws -> MemorySpec {
        if presetNames.contains(nameOrPath) { return try preset(nameOrPath) }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw MemoryConfigurationError(
                "memspec '\(nameOrPath)' is neither a preset (\(presetNames.joined(separator: ", "))) nor an existing file")
        }
        return try load(nameOrPath)
    }

    /// Reads a DRAMSys memspec JSON file.
    public static func load(_ path: String) throws -> MemorySpec {
        do {
            return try parse(try InputFile.read(path, what: "memspec"), source: path)
        } catch let error as InputFileError {
            throw MemoryConfigurationError(error.description)
        }
    }

    /// Reads a DRAMSys memspec (4.x or 5.x key spellings): `{"memspec": {"memarchitecturespec": …,
    /// "memtimingspec": …, "mempowerspec": …}}`; the outer `memspec` wrapper is optional.
    public static func parse(_ data: Data, source: String = "memspec") throws -> MemorySpec {
        guard var root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MemoryConfigurationError("\(source): not a JSON object")
        }
        if let inner = root["memspec"] as? [String: Any] { root = inner }
        let fields = JSONFields(source: source)
        let architecture = try fields.object(root, "memarchitecturespec")
        let timingObject = try fields.object(root, "memtimingspec")
        let powerObject = try fields.object(root, "mempowerspec")
        let typeName = (root["memoryType"] as? String) ?? ""
        guard let standard = Standard(rawValue: typeName.uppercased()) else {
            throw MemoryConfigurationError(
                "\(source): memoryType '\(typeName)' is not modelled; the simulator models DDR3 and DDR4")
        }
        let a = fields.scope(architecture, "memarchitecturespec")
        let t = fields.scope(timingObject, "memtimingspec")
        let p = fields.scope(powerObject, "mempowerspec")
        let bankGroups = standard == .ddr4 ? try a.int("nbrOfBankGroups") : 1
        let banks = try a.int("nbrOfBanks")
        guard let devices = try a.optionalInt("nbrOfDevices") ?? a.optionalInt("nbrOfDevicesOnDIMM") else {
            throw MemoryConfigurationError("\(source): memarchitecturespec needs nbrOfDevices (or nbrOfDevicesOnDIMM)")
        }
        func grouped(_ short: String, _ long: String, _ single: String) throws -> (Int, Int) {
            if standard == .ddr3 {
                let value = try t.int(single)
                return (value, value)
            }
            return (try t.int(short), try t.int(long))
        }
        let (wtrS, wtrL) = try grouped("WTR_S", "WTR_L", "WTR")
        let (rrdS, rrdL) = try grouped("RRD_S", "RRD_L", "RRD")
        let (ccdS, ccdL) = try grouped("CCD_S", "CCD_L", "CCD")
        let timing = Timing(
            clockMHz: try t.double("clkMhz"),
            CL: try t.optionalInt("CL") ?? t.int("RL"), CWL: try t.optionalInt("CWL") ?? t.int("WL"),
            RCD: try t.int("RCD"), RP: try t.int("RP"), RAS: try t.int("RAS"), RC: try t.int("RC"),
            WR: try t.int("WR"), RTP: try t.int("RTP"), WTR_S: wtrS, WTR_L: wtrL, RRD_S: rrdS, RRD_L: rrdL,
            CCD_S: ccdS, CCD_L: ccdL, FAW: try t.int("FAW"), RFC: try t.optionalInt("RFC1") ?? t.int("RFC"),
            REFI: try t.int("REFI"), CS: 2)
        let power = Power(
            idd0: try p.double("idd0"), idd2n: try p.double("idd2n"), idd3n: try p.double("idd3n"),
            idd4r: try p.double("idd4r"), idd4w: try p.double("idd4w"), idd5: try p.double("idd5"),
            idd6: try p.optionalDouble("idd6") ?? 0,
            idd02: try p.optionalDouble("idd02") ?? 0, idd2n2: try p.optionalDouble("idd2n2") ?? 0,
            idd3n2: try p.optionalDouble("idd3n2") ?? 0, idd4r2: try p.optionalDouble("idd4r2") ?? 0,
            idd4w2: try p.optionalDouble("idd4w2") ?? 0, idd52: try p.optionalDouble("idd52") ?? 0,
            idd62: try p.optionalDouble("idd62") ?? 0,
            vdd: try p.double("vdd"), vdd2: try p.optionalDouble("vdd2") ?? 0)
        let spec = MemorySpec(
            name: (root["memoryId"] as? String) ?? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent,
            standard: standard, burstLength: try a.int("burstLength"), dataRate: try a.int("dataRate"),
            channels: try a.optionalInt("nbrOfChannels") ?? 1, ranks: try a.optionalInt("nbrOfRanks") ?? 1,
            bankGroups: bankGroups, banks: banks, rows: try a.int("nbrOfRows"), columns: try a.int("nbrOfColumns"),
            width: try a.int("width"), devices: devices, timing: timing, power: power)
        try spec.check(source: source)
        return spec
    }

    /// Rejects organisations and timings the model cannot represent.
    func check(source: String) throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw MemoryConfigurationError("\(source): \(message)") }
        }
        for (name, value) in [("nbrOfChannels", channels), ("nbrOfRanks", ranks), ("nbrOfBankGroups", bankGroups),
                              ("nbrOfBanks", banks), ("nbrOfRows", rows), ("nbrOfColumns", columns),
                              ("width", width), ("nbrOfDevices", devices), ("burstLength", burstLength), ("dataRate", dataRate)] {
            try require(value > 0, "\(name) must be positive, not \(value)")
        }
        try require(banks % bankGroups == 0, "nbrOfBanks (\(banks)) must be a multiple of nbrOfBankGroups (\(bankGroups))")
        try require(burstLength % dataRate == 0, "burstLength (\(burstLength)) must be a multiple of dataRate (\(dataRate))")
        try require(timing.clockMHz > 0, "clkMhz must be positive")
        let t = timing
        for (name, value) in [("CL", t.CL), ("WL", t.CWL), ("RCD", t.RCD), ("RP", t.RP), ("RAS", t.RAS), ("RC", t.RC),
                              ("WR", t.WR), ("RTP", t.RTP), ("FAW", t.FAW), ("RFC", t.RFC), ("REFI", t.REFI)] {
            try require(value > 0, "\(name) must be a positive number of cycles, not \(value)")
        }
        try require(t.RC >= t.RAS, "RC (\(t.RC)) must be at least RAS (\(t.RAS))")
        try require(t.REFI > t.RFC, "REFI (\(t.REFI)) must exceed RFC (\(t.RFC))")
        // Currents and voltages of the power section: negative ones would make negative energy.
        let p = power
        for (name, value) in [("idd0", p.idd0), ("idd2n", p.idd2n), ("idd3n", p.idd3n), ("idd4r", p.idd4r), ("idd4w", p.idd4w),
                              ("idd5", p.idd5), ("idd6", p.idd6), ("idd02", p.idd02), ("idd2n2", p.idd2n2), ("idd3n2", p.idd3n2),
                              ("idd4r2", p.idd4r2), ("idd4w2", p.idd4w2), ("idd52", p.idd52), ("idd62", p.idd62),
                              ("vdd", p.vdd), ("vdd2", p.vdd2)] {
            try require(value >= 0 && value.isFinite, "mempowerspec.\(name) must be a current or voltage of at least 0, not \(value)")
        }
        try require(p.vdd > 0, "mempowerspec.vdd must be positive, not \(p.vdd)")
        // DRAMPower charges each command the current above background: below it, energy would go negative.
        for (command, background) in [(("idd0", p.idd0), ("idd3n", p.idd3n)), (("idd0", p.idd0), ("idd2n", p.idd2n)),
                                      (("idd4r", p.idd4r), ("idd3n", p.idd3n)), (("idd4w", p.idd4w), ("idd3n", p.idd3n)),
                                      (("idd5", p.idd5), ("idd3n", p.idd3n)), (("idd02", p.idd02), ("idd3n2", p.idd3n2)),
                                      (("idd02", p.idd02), ("idd2n2", p.idd2n2)), (("idd4r2", p.idd4r2), ("idd3n2", p.idd3n2)),
                                      (("idd4w2", p.idd4w2), ("idd3n2", p.idd3n2)), (("idd52", p.idd52), ("idd3n2", p.idd3n2))]
        where command.1 > 0 || background.1 > 0 {
            try require(command.1 >= background.1,
                        "mempowerspec.\(command.0) (\(command.1) mA) must be at least \(background.0) (\(background.1) mA), the background current it adds to")
        }
        try require(ranks * banks <= 1024 && channels <= 16, "at most 16 channels and 1024 banks per channel are modelled")
    }
}

/// Typed access to the fields of a parsed JSON object, with errors naming the file and field.
struct JSONFields {
    var source: String
    var path = ""
    var object: [String: Any] = [:]

    init(source: String) { self.source = source }

    func object(_ parent: [String: Any], _ key: String) throws -> [String: Any] {
        guard let value = parent[key] as? [String: Any] else {
            throw MemoryConfigurationError("\(source): missing object '\(key)'")
        }
        return value
    }

    func scope(_ object: [String: Any], _ path: String) -> JSONFields {
        var copy = self
        copy.object = object
        copy.path = path
        return copy
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let value = object[key] else { return nil }
        if let number = value as? NSNumber { return number.doubleValue }
        throw MemoryConfigurationError("\(source): \(path).\(key) must be a number")
    }

    func double(_ key: String) throws -> Double {
        guard let value = try optionalDouble(key) else {
            throw MemoryConfigurationError("\(source): missing \(path).\(key)")
        }
        return value
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let value = try optionalDouble(key) else { return nil }
        guard value == value.rounded(), abs(value) < 1e12 else {
            throw MemoryConfigurationError("\(source): \(path).\(key) must be a whole number, not \(value)")
        }
        return Int(value)
    }

    func int(_ key: String) throws -> Int {
        guard let value = try optionalInt(key) else {
            throw MemoryConfigurationError("\(source): missing \(path).\(key)")
        }
        return value
    }
}

/// Files bundled with the module: presets, address mappings and ArchGym's traces.
enum BundledFile {
    static func url(_ relativePath: String) -> URL? {
        let url = Optional(Bundle.module.bundleURL.appendingPathComponent("Resources").appendingPathComponent(relativePath))
        guard let url, FileManager.default.fileExists(atPath: url.path) else { return nil }
        return url
    }
}
