import Foundation
import GymCore
import LinearAlgebra

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
        var channels = Supernet.stemChannels
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
        Supernet.stemChannels * 9 * resolution * resolution
            + convolutions.reduce(0) { $0 + $1.inputs * $1.outputs * $1.kernel * $1.kernel * $1.side * $1.side }
            + widths[1] * Supernet.classes
    }

    /// Weights and biases the subnet uses.
    public var parameters: Int {
        Supernet.stemChannels * 9 + Supernet.stemChannels
            + convolutions.reduce(0) { $0 + $1.inputs * $1.outputs * $1.kernel * $1.kernel + $1.outputs }
            + widths[1] * Supernet.classes + Supernet.classes
    }
}

/// The weight-shared supernet (Once-for-All / BigNAS style) on 8×8 digits: a 3×3 stem (1 → 16 channels,
/// ReLU); two stages of up to 3 blocks of ReLU(conv + bias), every block after a stage's first adding
/// its input (residual); 2×2 average pooling between the stages; global average pooling and a linear
/// classifier. A subnet uses the first channels of each shared weight tensor, the centre 3×3 of a 5×5
/// kernel, the first blocks of each stage and the centre of the image.
///
/// Activations are matrices of channels × (image, row, column), so each convolution is one matrix
/// product (im2col) through BLAS.
public struct Supernet: Sendable, Codable, Equatable {
    public static let stemChannels = 16
    public static let maximumWidth = 32
    public static let maximumKernel = 5
    public static let classes = 10

    /// Stem weights [16][3][3] and biases.
    public var stem: [Double]
    public var stemBias: [Double]
    /// Block weights [32 out][5][5][inputs: 16 for the first block, else 32], stage-major, and biases [32].
    public var blocks: [[Double]]
    public var blockBiases: [[Double]]
    /// Classifier [10][32] (class-major) and biases.
    public var head: [Double]
    public var headBias: [Double]

    static func blockInputs(_ index: Int) -> Int { index == 0 ? stemChannels : maximumWidth }

    /// He-uniform initial weights from the seed; zero biases.
    public init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        func uniform(_ count: Int, fanIn: Int) -> [Double] {
            let limit = (6.0 / Double(fanIn)).squareRoot()
            return (0..<count).map { _ in (2 * generator.nextUnit() - 1) * limit }
        }
        stem = uniform(Self.stemChannels * 9, fanIn: 9)
        stemBias = [Double](repeating: 0, count: Self.stemChannels)
        blocks = (0..<6).map { index in
            uniform(Self.maximumWidth * 25 * Self.blockInputs(index), fanIn: 25 * Self.blockInputs(index))
        }
        blockBiases = (0..<6).map { _ in [Double](repeating: 0, count: Self.maximumWidth) }
        head = uniform(Self.classes * Self.maximumWidth, fanIn: Self.maximumWidth)
        headBias = [Double](repeating: 0, count: Self.classes)
    }

    /// Every parameter as one flat list, in a fixed order (for the optimiser and gradient checks).
    var flat: [Double] {
        get { stem + stemBias + blocks.joined() + blockBiases.joined() + head + headBias }
        set {
            var position = 0
            func take(_ count: Int) -> [Double] {
                defer { position += count }
                return Array(newValue[position..<(position + count)])
            }
            stem = take(stem.count)
            stemBias = take(stemBias.count)
            blocks = blocks.map { take($0.count) }
            blockBiases = blockBiases.map { take($0.count) }
            head = take(head.count)
            headBias = take(headBias.count)
        }
    }

    /// A zero gradient of the same shape.
    func zero() -> Supernet {
        var copy = self
        copy.flat = [Double](repeating: 0, count: flat.count)
        return copy
    }
}

/// A subnet's forward pass over a batch, with what the backward pass needs.
struct ForwardPass {
    /// Logits, classes × batch (column-major: class fastest).
    var logits: Matrix
    var saved: [Saved]
    var pooledInput: Matrix  // the stage-two output before global pooling: channels × (batch·side²)
    var pooled: Matrix       // channels × batch
    var stageOneOutput: Matrix
    var stageOneSide: Int

    struct Saved {
        var columns: Matrix     // im2col of the input
        var output: Matrix      // after ReLU (before the residual)
        var weights: Matrix     // the slice used, outputs × (inputs·k²)
        var residual: Bool
    }
}

extension Supernet {
    /// The centre `resolution`×`resolution` of each image as a 1 × (batch·side²) matrix.
    static func input(_ images: [[Double]], resolution: Int) -> Matrix {
        let offset = (8 - resolution) / 2
        var matrix = Matrix(rows: 1, columns: images.count * resolution * resolution)
        var position = 0
        for image in images {
            for y in 0..<resolution {
                for x in 0..<resolution {
                    matrix.storage[position] = image[(y + offset) * 8 + x + offset]
                    position += 1
                }
            }
        }
        return matrix
    }

    /// Visits every pair of im2col: the offset of a channel run in the column matrix and the offset of the
    /// same channels in the input (positions outside the image, the zero padding, are skipped).
    @inline(__always)
    private static func forEachPatchEntry(channels: Int, batch: Int, side: Int, kernel: Int, _ body: (_ column: Int, _ input: Int) -> Void) {
        let pad = kernel / 2
        let rows = channels * kernel * kernel
        for image in 0..<batch {
            for y in 0..<side {
                for x in 0..<side {
                    let column = (image * side + y) * side + x
                    for ky in 0..<kernel {
                        let sy = y + ky - pad
                        guard sy >= 0, sy < side else { continue }
                        for kx in 0..<kernel {
                            let sx = x + kx - pad
                            guard sx >= 0, sx < side else { continue }
                            body(column * rows + channels * (kx + kernel * ky), ((image * side + sy) * side + sx) * channels)
                        }
                    }
                }
            }
        }
    }

    /// im2col: (inputs·k²) × (batch·side²) with zero padding k/2; row index = channel + inputs·(kx + k·ky).
    static func columns(_ input: Matrix, batch: Int, side: Int, kernel: Int) -> Matrix {
        let channels = input.rows
        var result = Matrix(rows: channels * kernel * kernel, columns: batch * side * side)
        input.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                forEachPatchEntry(channels: channels, batch: batch, side: side, kernel: kernel) { column, input in
                    for channel in 0..<channels { target[column + channel] = source[input + channel] }
                }
            }
        }
        return result
    }

    /// The adjoint of `columns`: sums column gradients back onto the input.
    static func uncolumns(_ gradient: Matrix, channels: Int, batch: Int, side: Int, kernel: Int) -> Matrix {
        var result = Matrix(rows: channels, columns: batch * side * side)
        gradient.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                forEachPatchEntry(channels: channels, batch: batch, side: side, kernel: kernel) { column, input in
                    for channel in 0..<channels { target[input + channel] += source[column + channel] }
                }
            }
        }
        return result
    }

    /// The weight slice of block `index` for `outputs` × `inputs` channels and a `kernel` (centre crop),
    /// as an outputs × (inputs·k²) matrix in the column order of `columns`.
    func slice(block index: Int, outputs: Int, inputs: Int, kernel: Int) -> Matrix {
        let full = Self.blockInputs(index)
        let offset = (Self.maximumKernel - kernel) / 2
        var matrix = Matrix(rows: outputs, columns: inputs * kernel * kernel)
        let weights = blocks[index]
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                for input in 0..<inputs {
                    let column = input + inputs * (kx + kernel * ky)
                    for output in 0..<outputs {
                        matrix.storage[output + outputs * column] =
                            weights[((output * Self.maximumKernel + ky + offset) * Self.maximumKernel + kx + offset) * full + input]
                    }
                }
            }
        }
        return matrix
    }

    /// Adds a slice's gradient back into the full tensor's gradient.
    static func unslice(_ gradient: Matrix, into target: inout [Double], block index: Int, inputs: Int, kernel: Int) {
        let full = blockInputs(index)
        let offset = (maximumKernel - kernel) / 2
        let outputs = gradient.rows
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                for input in 0..<inputs {
                    let column = input + inputs * (kx + kernel * ky)
                    for output in 0..<outputs {
                        target[((output * maximumKernel + ky + offset) * maximumKernel + kx + offset) * full + input] +=
                            gradient.storage[output + outputs * column]
                    }
                }
            }
        }
    }

    static func relu(_ matrix: inout Matrix, bias: [Double]) {
        let channels = matrix.rows, columns = matrix.columns
        bias.withUnsafeBufferPointer { bias in
            matrix.storage.withUnsafeMutableBufferPointer { storage in
                for column in 0..<columns {
                    let base = column * channels
                    for channel in 0..<channels {
                        let value = storage[base + channel] + bias[channel]
                        storage[base + channel] = value > 0 ? value : 0
                    }
                }
            }
        }
    }

    /// Zeroes the gradient where the ReLU's output was not positive, and adds each row's sum (in column
    /// order) to the bias gradient.
    static func throughReLU(_ gradient: inout Matrix, output: Matrix, bias: inout [Double]) {
        let rows = gradient.rows, columns = gradient.columns
        output.storage.withUnsafeBufferPointer { output in
            gradient.storage.withUnsafeMutableBufferPointer { gradient in
                bias.withUnsafeMutableBufferPointer { bias in
                    for column in 0..<columns {
                        let base = column * rows
                        for row in 0..<rows {
                            if output[base + row] <= 0 { gradient[base + row] = 0 }
                            bias[row] += gradient[base + row]
                        }
                    }
                }
            }
        }
    }

    /// Visits every pair of 2×2 pooling: the offset of a channel run in the pooled matrix and of one of
    /// its four sources (an odd side drops its last row and column).
    @inline(__always)
    private static func forEachPoolEntry(channels: Int, batch: Int, side: Int, _ body: (_ pooled: Int, _ source: Int) -> Void) {
        let half = side / 2
        for image in 0..<batch {
            for y in 0..<half {
                for x in 0..<half {
                    let pooled = ((image * half + y) * half + x) * channels
                    for dy in 0..<2 {
                        for dx in 0..<2 { body(pooled, ((image * side + 2 * y + dy) * side + 2 * x + dx) * channels) }
                    }
                }
            }
        }
    }

    /// 2×2 average pooling of a channels × (batch·side²) matrix.
    static func pool(_ input: Matrix, batch: Int, side: Int) -> Matrix {
        let channels = input.rows
        var result = Matrix(rows: channels, columns: batch * (side / 2) * (side / 2))
        input.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                forEachPoolEntry(channels: channels, batch: batch, side: side) { pooled, from in
                    for channel in 0..<channels { target[pooled + channel] += 0.25 * source[from + channel] }
                }
            }
        }
        return result
    }

    /// The adjoint of `pool`.
    static func unpool(_ gradient: Matrix, batch: Int, side: Int) -> Matrix {
        let channels = gradient.rows
        var result = Matrix(rows: channels, columns: batch * side * side)
        gradient.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                forEachPoolEntry(channels: channels, batch: batch, side: side) { pooled, to in
                    for channel in 0..<channels { target[to + channel] += 0.25 * source[pooled + channel] }
                }
            }
        }
        return result
    }

    /// Runs `subnet` on `images`.
    func forward(_ subnet: Subnet, images: [[Double]]) -> ForwardPass {
        let batch = images.count
        var side = subnet.resolution
        // Stem: 1 → 16, 3×3.
        let stemColumns = Self.columns(Self.input(images, resolution: side), batch: batch, side: side, kernel: 3)
        var stemWeights = Matrix(rows: Self.stemChannels, columns: 9)
        stemWeights.storage = stem
        var activation = Matrix.product(stemWeights, stemColumns)
        Self.relu(&activation, bias: stemBias)
        var saved = [ForwardPass.Saved(columns: stemColumns, output: activation, weights: stemWeights, residual: false)]
        var stageOneOutput = activation
        var stageOneSide = side
        for stage in 0..<2 {
            if stage > 0 {
                stageOneOutput = activation
                stageOneSide = side
                activation = Self.pool(activation, batch: batch, side: side)
                side /= 2
            }
            for block in 0..<subnet.depths[stage] {
                let index = 3 * stage + block
                let kernel = subnet.kernels[index]
                let weights = slice(block: index, outputs: subnet.widths[stage], inputs: activation.rows, kernel: kernel)
                let columns = Self.columns(activation, batch: batch, side: side, kernel: kernel)
                var output = Matrix.product(weights, columns)
                Self.relu(&output, bias: blockBiases[index])
                saved.append(ForwardPass.Saved(columns: columns, output: output, weights: weights, residual: block > 0))
                if block > 0 {
                    for position in output.storage.indices { output.storage[position] += activation.storage[position] }
                }
                activation = output
            }
        }
        // Global average pooling and the classifier.
        let channels = activation.rows
        var pooled = Matrix(rows: channels, columns: batch)
        let area = Double(side * side)
        for image in 0..<batch {
            for pixel in 0..<(side * side) {
                for channel in 0..<channels {
                    pooled.storage[channel + channels * image] += activation.storage[(image * side * side + pixel) * channels + channel] / area
                }
            }
        }
        var classifier = Matrix(rows: Self.classes, columns: channels)
        for output in 0..<Self.classes {
            for channel in 0..<channels { classifier.storage[output + Self.classes * channel] = head[output * Self.maximumWidth + channel] }
        }
        var logits = Matrix.product(classifier, pooled)
        for image in 0..<batch {
            for output in 0..<Self.classes { logits.storage[output + Self.classes * image] += headBias[output] }
        }
        return ForwardPass(logits: logits, saved: saved, pooledInput: activation, pooled: pooled,
                           stageOneOutput: stageOneOutput, stageOneSide: stageOneSide)
    }

    /// Softmax probabilities, classes × batch.
    static func softmax(_ logits: Matrix) -> Matrix {
        var result = logits
        for image in 0..<logits.columns {
            let base = image * logits.rows
            let peak = (0..<logits.rows).map { logits.storage[base + $0] }.max()!
            var total = 0.0
            for output in 0..<logits.rows {
                result.storage[base + output] = Foundation.exp(logits.storage[base + output] - peak)
                total += result.storage[base + output]
            }
            for output in 0..<logits.rows { result.storage[base + output] /= total }
        }
        return result
    }

    /// Mean cross-entropy of `pass` against target distributions (classes × batch; one-hot for labels),
    /// and the gradient of every weight.
    func backward(_ subnet: Subnet, pass: ForwardPass, targets: Matrix) -> (loss: Double, gradient: Supernet) {
        let batch = pass.logits.columns
        let probabilities = Self.softmax(pass.logits)
        var loss = 0.0
        var dLogits = probabilities
        for index in dLogits.storage.indices {
            if targets.storage[index] > 0 { loss -= targets.storage[index] * Foundation.log(max(probabilities.storage[index], 1e-300)) }
            dLogits.storage[index] = (probabilities.storage[index] - targets.storage[index]) / Double(batch)
        }
        loss /= Double(batch)
        var gradient = zero()
        // Classifier.
        let channels = pass.pooled.rows
        let dHead = Matrix.product(dLogits, pass.pooled, transposeB: true)  // classes × channels
        for output in 0..<Self.classes {
            for channel in 0..<channels { gradient.head[output * Self.maximumWidth + channel] += dHead.storage[output + Self.classes * channel] }
            for image in 0..<batch { gradient.headBias[output] += dLogits.storage[output + Self.classes * image] }
        }
        var classifier = Matrix(rows: Self.classes, columns: channels)
        for output in 0..<Self.classes {
            for channel in 0..<channels { classifier.storage[output + Self.classes * channel] = head[output * Self.maximumWidth + channel] }
        }
        let dPooled = Matrix.product(classifier, dLogits, transposeA: true)  // channels × batch
        var side = subnet.resolution / 2
        var dActivation = Matrix(rows: channels, columns: batch * side * side)
        let area = Double(side * side)
        for image in 0..<batch {
            for pixel in 0..<(side * side) {
                for channel in 0..<channels {
                    dActivation.storage[(image * side * side + pixel) * channels + channel] = dPooled.storage[channel + channels * image] / area
                }
            }
        }
        // Blocks, last first.
        var savedIndex = pass.saved.count - 1
        for stage in stride(from: 1, through: 0, by: -1) {
            for block in stride(from: subnet.depths[stage] - 1, through: 0, by: -1) {
                let index = 3 * stage + block
                let saved = pass.saved[savedIndex]
                savedIndex -= 1
                let kernel = subnet.kernels[index]
                // Through the ReLU (the residual passes dActivation straight to the input).
                var dPre = dActivation
                Self.throughReLU(&dPre, output: saved.output, bias: &gradient.blockBiases[index])
                let dWeights = Matrix.product(dPre, saved.columns, transposeB: true)
                let inputs = saved.columns.rows / (kernel * kernel)
                Self.unslice(dWeights, into: &gradient.blocks[index], block: index, inputs: inputs, kernel: kernel)
                let dColumns = Matrix.product(saved.weights, dPre, transposeA: true)
                var dInput = Self.uncolumns(dColumns, channels: inputs, batch: batch, side: side, kernel: kernel)
                if saved.residual {
                    for position in dInput.storage.indices { dInput.storage[position] += dActivation.storage[position] }
                }
                dActivation = dInput
            }
            if stage == 1 {
                side = pass.stageOneSide
                dActivation = Self.unpool(dActivation, batch: batch, side: side)
            }
        }
        // Stem.
        let stemSaved = pass.saved[0]
        var dPre = dActivation
        Self.throughReLU(&dPre, output: stemSaved.output, bias: &gradient.stemBias)
        let dStem = Matrix.product(dPre, stemSaved.columns, transposeB: true)
        gradient.stem = dStem.storage
        return (loss, gradient)
    }

    /// Top-1 accuracy of `subnet` on `images`.
    public func accuracy(_ subnet: Subnet, images: [[Double]], labels: [Int]) -> Double {
        var correct = 0
        var start = 0
        while start < images.count {
            let end = min(images.count, start + 256)
            let logits = forward(subnet, images: Array(images[start..<end])).logits
            for image in 0..<(end - start) {
                let base = image * Self.classes
                let best = (0..<Self.classes).max { logits.storage[base + $0] < logits.storage[base + $1] }!
                if best == labels[start + image] { correct += 1 }
            }
            start = end
        }
        return Double(correct) / Double(max(1, images.count))
    }
}
