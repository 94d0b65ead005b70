import GymCore
import LinearAlgebra

/// The supernet's fixed shape and where each tensor sits in its flat parameter vector.
///
/// Layouts are chosen so the slices a subnet uses are cheap to gather: the stem is a 16 × 9 column-major
/// matrix (column kx + 3·ky); a block's weights are [ky][kx][input][output] over its full 5 × 5 kernel, so
/// each (ky, kx, input) holds a contiguous run of outputs; the classifier is [channel][class], so its first
/// C channels are a 10 × C column-major matrix.
public enum SupernetShape {
    /// Channels of the 3×3 stem.
    public static let stemChannels = 16
    /// Channels of every block at width 1.0.
    public static let maximumWidth = 32
    /// The shared kernel's side; a 3×3 kernel is its centre.
    public static let maximumKernel = 5
    /// Digits 0–9.
    public static let classes = 10
    /// Blocks: three per stage, two stages.
    public static let blockCount = 6

    /// Input channels of block `index` in the full supernet: the stem's for the first block, else the width.
    static func blockInputs(_ index: Int) -> Int { index == 0 ? stemChannels : maximumWidth }

    static let stem = 0
    static let stemBias = stem + stemChannels * 9
    static let blocks: [Int] = {
        var offsets: [Int] = []
        var position = stemBias + stemChannels
        for index in 0..<blockCount {
            offsets.append(position)
            position += maximumKernel * maximumKernel * blockInputs(index) * maximumWidth
        }
        return offsets
    }()
    static let blockBiases: [Int] = (0..<blockCount).map {
        blocks[blockCount - 1] + maximumKernel * maximumKernel * maximumWidth * maximumWidth + $0 * maximumWidth
    }
    static let head = blockBiases[blockCount - 1] + maximumWidth
    static let headBias = head + maximumWidth * classes
    /// Every weight and bias of the supernet.
    static let parameterCount = headBias + classes
}

/// The weight-shared supernet (Once-for-All / BigNAS style) on 8×8 digits, computing in `Scalar`: a 3×3 stem
/// (1 → 16 channels, ReLU); two stages of up to 3 blocks of ReLU(conv + bias), every block after a stage's
/// first adding its input (residual); 2×2 average pooling between the stages; global max pooling and a
/// linear classifier. No normalisation layers: nothing depends on other images of a batch, so a subnet's
/// prediction for an image is the same in any batch. A subnet uses the first channels of each shared weight
/// tensor, the centre 3×3 of a 5×5 kernel, the first blocks of each stage and the centre of the image.
///
/// Activations are channels × (image, row, column) column-major matrices, so each convolution is one
/// matrix product (im2col) through BLAS.
public struct Supernet<Scalar: BLASScalar>: Sendable, Codable, Equatable {
    /// Every weight and bias, laid out as `SupernetShape` says.
    public var parameters: [Scalar]

    /// He-uniform initial weights from the seed (drawn tensor by tensor in layout order); zero biases.
    public init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var parameters = [Scalar](repeating: 0, count: SupernetShape.parameterCount)
        func uniform(at offset: Int, count: Int, fanIn: Int) {
            let limit = (6.0 / Double(fanIn)).squareRoot()
            for index in offset..<(offset + count) { parameters[index] = Scalar((2 * generator.nextUnit() - 1) * limit) }
        }
        uniform(at: SupernetShape.stem, count: SupernetShape.stemChannels * 9, fanIn: 9)
        for index in 0..<SupernetShape.blockCount {
            let inputs = SupernetShape.blockInputs(index), kernel = SupernetShape.maximumKernel
            uniform(at: SupernetShape.blocks[index], count: kernel * kernel * inputs * SupernetShape.maximumWidth, fanIn: kernel * kernel * inputs)
        }
        uniform(at: SupernetShape.head, count: SupernetShape.maximumWidth * SupernetShape.classes, fanIn: SupernetShape.maximumWidth)
        self.parameters = parameters
    }

    /// The same weights in another precision.
    public init<Other: BLASScalar>(_ other: Supernet<Other>) {
        parameters = other.parameters.map { Scalar($0) }
    }
}
