/// A seeded xoshiro256** pseudo-random generator: the only source of randomness in DesignGym.
///
/// It is seeded through SplitMix64 (as its authors recommend), so any 64-bit seed — including 0 —
/// gives a well-mixed state. Its draws are defined here, not by the standard library, so the same seed
/// gives the same numbers on every platform and toolchain.
public struct SeededGenerator: RandomNumberGenerator, Codable, Hashable, Sendable {
    private var state: [UInt64]

    /// Creates a generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        state = (0..<4).map { _ in mixer.next() }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, 7) &* 9
        let shifted = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= shifted
        state[3] = rotateLeft(state[3], 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's unbiased multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniform integer in `range`.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + nextInt(below: range.upperBound - range.lowerBound + 1)
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUnit()  // (0, 1]
        let u2 = nextUnit()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// True with probability `probability`.
    public mutating func nextBool(probability: Double = 0.5) -> Bool {
        nextUnit() < probability
    }

    /// Shuffles `array` in place (Fisher–Yates from the first element up: element i swaps with a uniform
    /// pick among i..<n), using only this generator. It is the order the standard library's
    /// `shuffle(using:)` gives today with this generator; defined here, it stays that order whatever a
    /// later toolchain does, so datasets split, batches drawn and mappings searched before stay the same.
    public mutating func shuffleUpward<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for index in 0..<(array.count - 1) {
            array.swapAt(index, index + nextInt(below: array.count - index))
        }
    }

    /// Shuffles `array` in place (Fisher–Yates from the last element down), using only this generator.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for index in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(index, nextInt(below: index + 1))
        }
    }
}

/// SplitMix64: a tiny generator used to expand seeds and derive child seeds.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state.
    public var state: UInt64

    /// Creates a generator starting from `state`.
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Derives seeds for the parts of an experiment from one master seed.
public enum Seeds {
    /// A child seed for the part named `label`: different labels give independent streams, and the
    /// same (seed, label) always gives the same child.
    public static func derive(_ seed: UInt64, _ label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a offset basis
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        var mixer = SplitMix64(state: seed ^ hash)
        return mixer.next()
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
