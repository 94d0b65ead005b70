import Foundation

/// Energy and area of the building blocks, as stated laws with their sources. Energies are per access
/// of one word; areas in mm². (Sources are 40–45 nm figures; the model mixes them as ArchGym's Timeloop
/// setup mixed Eyeriss's 65 nm design with 45 nm tables.)
///
/// - MAC, 16-bit: 1.2 pJ (Accelergy's Eyeriss energy reference table). Area: a b-bit multiplier as
///   Aladdin's 32-bit multiplier (6,350 µm², 40 nm) scaled by (b/32)², plus an accumulator adder as its
///   32-bit adder (278 µm²) scaled by (accumulator bits/32).
/// - SRAM, per 16-bit access: 2.97 + 0.01925·√bytes pJ — the √capacity law of CACTI-style models
///   (Horowitz, ISSCC 2014: 10 / 20 / 100 pJ per 64-bit read at 8 KB / 32 KB / 1 MB) fitted through
///   Accelergy's Eyeriss weight scratchpad (384 B, 3.35 pJ) and shared buffer (128 KiB, 39.75 pJ per
///   64 bits); scaled linearly with the word width, a bank's capacity counting for a banked array.
///   Area: 0.346 µm² per bit cell (Intel 45 nm, Mistry et al., IEDM 2007) over an assumed 70 % array
///   efficiency, plus an assumed 0.005 mm² of decoders and sense amplifiers per bank.
/// - Register file, per 16-bit access: 0.41·√(bytes / 24) pJ — Accelergy's Eyeriss input scratchpad
///   (12 × 16 bits, 0.41 pJ) scaled by √capacity; area 5.98 µm² per bit (Aladdin's 40 nm register).
/// - DRAM (LPDDR4): 8 pJ per bit (Accelergy's table).
/// - Writes cost what reads cost (CACTI's write energy is within a few tens of percent of the read's).
public enum Components {
    /// Storage technologies of a level.
    public enum Kind: String, CaseIterable, Codable, Sendable {
        case regfile, sram = "SRAM", dram = "DRAM"
    }

    public static func macEnergy(bits: Int = 16) -> Double { 1.2 * Double(bits) / 16 }

    public static func macArea(bits: Int = 16, accumulatorBits: Int = 32) -> Double {
        let multiplier = 6_350.0 * pow(Double(bits) / 32, 2)
        let adder = 278.0 * Double(accumulatorBits) / 32
        return (multiplier + adder) * 1e-6
    }

    /// Energy in pJ of one access of `wordBits` to a `kind` array of `capacityBits` in `banks` banks.
    public static func accessEnergy(_ kind: Kind, capacityBits: Int, wordBits: Int, banks: Int = 1) -> Double {
        let bankBytes = Double(capacityBits) / 8 / Double(max(1, banks))
        let per16: Double
        switch kind {
        case .sram: per16 = 2.97 + 0.01925 * bankBytes.squareRoot()
        case .regfile: per16 = 0.41 * (bankBytes / 24).squareRoot()
        case .dram: per16 = 8 * 16
        }
        return per16 * Double(wordBits) / 16
    }

    /// Area in mm² of a `kind` array of `capacityBits` in `banks` banks (DRAM is off chip: 0).
    public static func area(_ kind: Kind, capacityBits: Int, banks: Int = 1) -> Double {
        switch kind {
        case .sram: return Double(capacityBits) * 0.346e-6 / 0.7 + 0.005 * Double(max(1, banks))
        case .regfile: return Double(capacityBits) * 5.98e-6
        case .dram: return 0
        }
    }
}

extension Architecture.Level {
    /// A level built from a storage kind and its shape: `depth` entries of `blockWords` words of
    /// `wordBits` each (capacity depth × block × word; one access moves one block), bandwidths in words
    /// per cycle, energies and area from `Components`.
    public static func built(_ name: String, holds: [Operand], kind: Components.Kind, depth: Int?, blockWords: Int = 1,
                             wordBits: Int = 16, banks: Int = 1, readWords: Double? = nil, writeWords: Double? = nil,
                             sharedAcross: [String]) -> Architecture.Level {
        let accessBits = blockWords * wordBits
        let capacity = depth.map { $0 * accessBits }
        let energy = Components.accessEnergy(kind, capacityBits: capacity ?? 0, wordBits: accessBits, banks: banks)
        return Architecture.Level(name: name, holds: holds, capacityBits: capacity, wordBits: accessBits, readEnergy: energy, writeEnergy: energy,
                                  readBandwidth: readWords.map { $0 * Double(wordBits) }, writeBandwidth: writeWords.map { $0 * Double(wordBits) },
                                  sharedAcross: sharedAcross, area: Components.area(kind, capacityBits: capacity ?? 0, banks: banks))
    }
}

extension Architecture {
    /// LPDDR4 DRAM: one x16 channel at 3,200 MT/s is 6.4 GB/s, 256 bits per cycle at a 200 MHz accelerator clock.
    /// The DRAM level, shared across the array dimensions `array`.
    static func dram(sharedAcross array: [String] = ["X", "Y"], wordBits: Int = 64) -> Level {
        .built("DRAM", holds: Operand.allCases, kind: .dram, depth: nil, blockWords: wordBits / 16, readWords: 16, writeWords: 16,
               sharedAcross: array)
    }

    /// Eyeriss-like, as ArchGym's Timeloop base: 168 PEs (14 × 12), each with an input scratchpad of 12
    /// entries, a weight scratchpad of 192 and a partial-sum scratchpad of 16 (16-bit words); a shared
    /// global buffer of 16,384 × 64 bits in 32 banks holding inputs and outputs (weights bypass it); LPDDR4.
    public static let eyerissLike: Architecture = {
        let all = ["X", "Y"]
        return Architecture(name: "eyeriss-like", array: [.init(name: "X", size: 14), .init(name: "Y", size: 12)],
                            macEnergy: Components.macEnergy(), macArea: Components.macArea(), levels: [
            .built("psum_spad", holds: [.outputs], kind: .regfile, depth: 16, readWords: 2, writeWords: 2, sharedAcross: []),
            .built("weights_spad", holds: [.weights], kind: .sram, depth: 192, readWords: 2, writeWords: 2, sharedAcross: []),
            .built("ifmap_spad", holds: [.inputs], kind: .regfile, depth: 12, readWords: 2, writeWords: 2, sharedAcross: []),
            .built("shared_glb", holds: [.inputs, .outputs], kind: .sram, depth: 16_384, blockWords: 4, banks: 32,
                   readWords: 16, writeWords: 16, sharedAcross: all),
            dram(sharedAcross: all),
        ])
    }()

    /// TPU-like weight-stationary systolic array, scaled to 16 × 16: one weight register per PE, an
    /// accumulator per column (shared down the column, Y), a 256 KiB unified buffer for inputs and outputs.
    public static let tpuLike: Architecture = {
        let all = ["X", "Y"]
        return Architecture(name: "tpu-like", array: [.init(name: "X", size: 16), .init(name: "Y", size: 16)],
                            macEnergy: Components.macEnergy(), macArea: Components.macArea(), levels: [
            .built("weight_reg", holds: [.weights], kind: .regfile, depth: 1, readWords: 1, writeWords: 1, sharedAcross: []),
            .built("accumulators", holds: [.outputs], kind: .sram, depth: 256, wordBits: 32, readWords: 1, writeWords: 1, sharedAcross: ["Y"]),
            .built("unified_buffer", holds: [.weights, .inputs, .outputs], kind: .sram, depth: 32_768, blockWords: 4, banks: 8,
                   readWords: 32, writeWords: 32, sharedAcross: all),
            dram(sharedAcross: all),
        ])
    }()

    /// A simple output-stationary 8 × 8 array: a partial-sum register per PE, a 64 KiB shared buffer.
    public static let outputStationary: Architecture = {
        let all = ["X", "Y"]
        return Architecture(name: "output-stationary", array: [.init(name: "X", size: 8), .init(name: "Y", size: 8)],
                            macEnergy: Components.macEnergy(), macArea: Components.macArea(), levels: [
            .built("psum_reg", holds: [.outputs], kind: .regfile, depth: 1, readWords: 1, writeWords: 1, sharedAcross: []),
            .built("buffer", holds: [.weights, .inputs, .outputs], kind: .sram, depth: 8_192, blockWords: 4, banks: 4,
                   readWords: 16, writeWords: 16, sharedAcross: all),
            dram(sharedAcross: all),
        ])
    }()
}
