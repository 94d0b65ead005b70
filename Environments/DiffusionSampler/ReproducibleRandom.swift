import Foundation

/// The random-number recipe of the diffusion test bed, fixed so that figures compare across
/// implementations: SplitMix64 outputs, uniforms ((z >> 11) + 0.5)·2⁻⁵³, and Box–Muller normals on
/// consecutive pairs, filled row-major.
public enum ReproducibleRandom {
    /// SplitMix64 output `i` for `seed`: mix(seed + (i + 1)·0x9E3779B97F4A7C15).
    @inline(__always) static func splitMix(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The first `count` uniforms in (0, 1) for `seed`.
    public static func uniforms(seed: UInt64, count: Int) -> [Double] {
        (0..<count).map { Double(splitMix(seed, UInt64($0)) >> 11) * 0x1.0p-53 + 0x1.0p-54 }
    }

    /// A rows × columns matrix of standard normals, row-major: each pair of uniforms (u0, u1) gives
    /// r·cos(2πu1) then r·sin(2πu1) with r = √(−2 ln u0).
    public static func normals(seed: UInt64, rows: Int, columns: Int) -> [Double] {
        let count = rows * columns
        let uniform = uniforms(seed: seed, count: 2 * ((count + 1) / 2))
        var result = [Double](repeating: 0, count: count)
        for pair in 0..<(count + 1) / 2 {
            let radius = (-2 * log(uniform[2 * pair])).squareRoot()
            let angle = 2 * Double.pi * uniform[2 * pair + 1]
            result[2 * pair] = radius * cos(angle)
            if 2 * pair + 1 < count { result[2 * pair + 1] = radius * sin(angle) }
        }
        return result
    }
}
