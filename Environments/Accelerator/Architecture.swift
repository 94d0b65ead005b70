import Foundation

/// A DNN accelerator: an array of MAC units and a memory hierarchy from per-PE storage out to DRAM.
///
/// Levels are listed innermost first and form a chain; each operand lives in the levels that hold it and
/// bypasses the others (Eyeriss's separate weight, input and partial-sum scratchpads are three levels).
/// A level is private to each PE, or shared across some array dimensions: it then has one instance per
/// coordinate of the dimensions it does not share. Sharing only grows outward, and the outermost level
/// (DRAM) is shared across the whole array and holds every operand.
public struct Architecture: Codable, Sendable, Equatable {
    /// One dimension of the MAC array.
    public struct ArrayDimension: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int

        public init(name: String, size: Int) {
            self.name = name
            self.size = size
        }
    }

    /// One level of the memory hierarchy.
    public struct Level: Codable, Sendable, Equatable {
        public var name: String
        /// The operands it stores.
        public var holds: [Operand]
        /// Capacity of one instance in bits; nil for unbounded (DRAM).
        public var capacityBits: Int?
        /// Bits per access: every access moves one word.
        public var wordBits: Int
        /// Energy per read and per write access of one word, in pJ.
        public var readEnergy: Double
        public var writeEnergy: Double
        /// Read and write bandwidth of one instance in bits per cycle; nil for unlimited.
        public var readBandwidth: Double?
        public var writeBandwidth: Double?
        /// The array dimensions it is shared across (empty: one instance per PE).
        public var sharedAcross: [String]
        /// Area of one instance in mm².
        public var area: Double

        public init(name: String, holds: [Operand], capacityBits: Int?, wordBits: Int, readEnergy: Double,
                    writeEnergy: Double, readBandwidth: Double? = nil, writeBandwidth: Double? = nil,
                    sharedAcross: [String], area: Double = 0) {
            self.name = name
            self.holds = holds
            self.capacityBits = capacityBits
            self.wordBits = wordBits
            self.readEnergy = readEnergy
            self.writeEnergy = writeEnergy
            self.readBandwidth = readBandwidth
            self.writeBandwidth = writeBandwidth
            self.sharedAcross = sharedAcross
            self.area = area
        }

        private enum CodingKeys: String, CodingKey {
            case name, holds, capacityBits, wordBits, readEnergy, writeEnergy, readBandwidth, writeBandwidth, sharedAcross, area
        }

        /// Reads a level; `capacityBits` and the bandwidths may be left out (unbounded), `sharedAcross` (private
        /// to each PE) and `area` (0) too.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(name: try container.decode(String.self, forKey: .name), holds: try container.decode([Operand].self, forKey: .holds),
                      capacityBits: try container.decodeIfPresent(Int.self, forKey: .capacityBits),
                      wordBits: try container.decode(Int.self, forKey: .wordBits),
                      readEnergy: try container.decode(Double.self, forKey: .readEnergy),
                      writeEnergy: try container.decode(Double.self, forKey: .writeEnergy),
                      readBandwidth: try container.decodeIfPresent(Double.self, forKey: .readBandwidth),
                      writeBandwidth: try container.decodeIfPresent(Double.self, forKey: .writeBandwidth),
                      sharedAcross: try container.decodeIfPresent([String].self, forKey: .sharedAcross) ?? [],
                      area: try container.decodeIfPresent(Double.self, forKey: .area) ?? 0)
        }
    }

    public var name: String
    public var array: [ArrayDimension]
    /// Energy of one multiply-accumulate in pJ, and area of one MAC unit in mm².
    public var macEnergy: Double
    public var macArea: Double
    /// Innermost first; the last is DRAM.
    public var levels: [Level]

    public init(name: String, array: [ArrayDimension], macEnergy: Double, macArea: Double, levels: [Level]) {
        self.name = name
        self.array = array
        self.macEnergy = macEnergy
        self.macArea = macArea
        self.levels = levels
    }

    /// MAC units in the array.
    public var peCount: Int { array.reduce(1) { $0 * $1.size } }

    /// Instances of `level`: the product of the array dimensions it does not share.
    public func instances(of level: Level) -> Int {
        array.filter { !level.sharedAcross.contains($0.name) }.reduce(1) { $0 * $1.size }
    }

    /// Area in mm²: the MACs and every instance of every on-chip level (DRAM, the unbounded level, is off chip).
    public var area: Double {
        Double(peCount) * macArea + levels.filter { $0.capacityBits != nil }.reduce(0) { $0 + Double(instances(of: $1)) * $1.area }
    }

    /// An architecture that cannot be used, with the reason.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Checks the structure; every error names the level or dimension and what is allowed.
    public func validate() throws {
        func fail(_ message: String) -> Invalid { Invalid(description: "architecture \(name): \(message)") }
        guard !array.isEmpty, array.allSatisfy({ $0.size >= 1 }) else { throw fail("the MAC array needs at least one dimension of size ≥ 1") }
        guard Set(array.map(\.name)).count == array.count else { throw fail("array dimension names must be distinct") }
        guard let outermost = levels.last else { throw fail("there must be at least one memory level (DRAM)") }
        guard Set(levels.map(\.name)).count == levels.count else { throw fail("level names must be distinct") }
        guard Set(outermost.holds) == Set(Operand.allCases) else { throw fail("the outermost level (\(outermost.name)) must hold weights, inputs and outputs") }
        guard macEnergy >= 0, macArea >= 0 else { throw fail("MAC energy and area must not be negative") }
        var shared = Set<String>()
        for level in levels {
            let here = Set(level.sharedAcross)
            if let unknown = here.subtracting(array.map(\.name)).first {
                throw fail("level \(level.name) is shared across '\(unknown)', which is not an array dimension (\(array.map(\.name).joined(separator: ", ")))")
            }
            guard here.isSuperset(of: shared) else {
                throw fail("level \(level.name) is shared across fewer array dimensions than a level inside it; sharing only grows outward")
            }
            shared = here
            guard !level.holds.isEmpty else { throw fail("level \(level.name) holds no operand") }
            guard level.wordBits >= 1 else { throw fail("level \(level.name) needs a word of at least 1 bit") }
            guard (level.capacityBits ?? 1) >= 1 else { throw fail("level \(level.name) needs a capacity of at least 1 bit") }
            guard level.readEnergy >= 0, level.writeEnergy >= 0, level.area >= 0 else { throw fail("level \(level.name) has a negative energy or area") }
            guard (level.readBandwidth ?? 1) > 0, (level.writeBandwidth ?? 1) > 0 else { throw fail("level \(level.name) needs a positive bandwidth") }
        }
        guard shared == Set(array.map(\.name)) else { throw fail("the outermost level must be shared across the whole array") }
    }
}
