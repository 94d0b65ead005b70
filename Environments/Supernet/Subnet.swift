import GymCore

/// One subnet of the supernet: depth, width and kernel choices, and the input resolution.
public struct Subnet: Hashable, Sendable, Codable {
    /// Blocks per stage, 1…3.
    public var depths: [Int]
    /// Channels per stage: 16, 24 or 32 (width ratio 0.5, 0.75, 1.0 of 32).
    public var widths: [Int]
    /// Kernel of each block, stage-major (3 blocks per stage): 3 or 5.
    public var kernels: [Int]
    /// Input side: 8 (whole image) or 6 (centre crop).
    public var resolution: Int

    public init(depths: [Int], widths: [Int], kernels: [Int], resolution: Int) {
        self.depths = depths
        self.widths = widths
        self.kernels = kernels
        self.resolution = resolution
    }

    public static let largest = Subnet(depths: [3, 3], widths: [32, 32], kernels: [5, 5, 5, 5, 5, 5], resolution: 8)
    public static let smallest = Subnet(depths: [1, 1], widths: [16, 16], kernels: [3, 3, 3, 3, 3, 3], resolution: 6)
    public static let depthChoices = [1, 2, 3]
    public static let widthChoices = [16, 24, 32]
    public static let kernelChoices = [3, 5]
    public static let resolutionChoices = [8, 6]

    /// A uniformly random subnet.
    public static func random(using generator: inout SeededGenerator) -> Subnet {
        Subnet(depths: (0..<2).map { _ in depthChoices[generator.nextInt(below: 3)] },
               widths: (0..<2).map { _ in widthChoices[generator.nextInt(below: 3)] },
               kernels: (0..<6).map { _ in kernelChoices[generator.nextInt(below: 2)] },
               resolution: resolutionChoices[generator.nextInt(below: 2)])
    }

    /// The convolutions that run, in order: stage, block, input and output channels, kernel, spatial side.
    public var convolutions: [(stage: Int, block: Int, inputs: Int, outputs: Int, kernel: Int, side: Int)] {
        var result: [(Int, Int, Int, Int, Int, Int)] = []
        var channels = SupernetShape.stemChannels
        var side = resolution
        for stage in 0..<2 {
            if stage > 0 { side /= 2 }
            for block in 0..<depths[stage] {
                result.append((stage, block, channels, widths[stage], kernels[3 * stage + block], side))
                channels = widths[stage]
            }
        }
        return result
    }

    /// Multiply-accumulates of one image: the stem, every block's convolution and the classifier.
    public var macs: Int {
        SupernetShape.stemChannels * 9 * resolution * resolution
            + convolutions.reduce(0) { $0 + $1.inputs * $1.outputs * $1.kernel * $1.kernel * $1.side * $1.side }
            + widths[1] * SupernetShape.classes
    }

    /// Weights and biases the subnet uses.
    public var parameters: Int {
        SupernetShape.stemChannels * 9 + SupernetShape.stemChannels
            + convolutions.reduce(0) { $0 + $1.inputs * $1.outputs * $1.kernel * $1.kernel + $1.outputs }
            + widths[1] * SupernetShape.classes + SupernetShape.classes
    }
}
