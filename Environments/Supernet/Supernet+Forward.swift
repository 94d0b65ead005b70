import Dispatch
import Foundation
import LinearAlgebra

/// A subnet's forward pass over some images, with what the backward pass needs.
struct ForwardPass<Scalar: BLASScalar> {
    /// One convolution as it ran: the stem (block nil) or a block.
    struct Convolution {
        var block: Int?
        var inputs: Int
        var outputs: Int
        var kernel: Int
        var side: Int
        var residual: Bool
        /// im2col of the input: (inputs·k²) × pixels.
        var columns: [Scalar]
        /// After the ReLU, before the residual: outputs × pixels.
        var output: [Scalar]
        /// The weights used: outputs × (inputs·k²), in the row order of `columns`.
        var weights: [Scalar]
    }

    var images: Int
    /// The stem first, then the blocks in order.
    var convolutions: [Convolution]
    /// Stage one's side (before the pooling between the stages) and the final side.
    var stageOneSide: Int
    var finalSide: Int
    /// Global max pooling: channels × images, and the offset of each maximum in the last activation.
    var pooled: [Scalar]
    var maxima: [Int32]
    /// Logits, classes × images.
    var logits: [Scalar]
}

extension Supernet {
    /// The centre `resolution`×`resolution` of each image as a 1 × (images·side²) matrix.
    static func input(_ images: [[Double]], resolution: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        let offset = (8 - resolution) / 2
        var matrix = workspace.zeros(images.count * resolution * resolution)
        var position = 0
        for image in images {
            for y in 0..<resolution {
                for x in 0..<resolution {
                    matrix[position] = Scalar(image[(y + offset) * 8 + x + offset])
                    position += 1
                }
            }
        }
        return matrix
    }

    /// The weights of block `index` for `outputs` × `inputs` channels and a `kernel` (the centre of the
    /// shared 5 × 5): an outputs × (inputs·k²) matrix in the row order of `Layers.columns`.
    func blockWeights(_ index: Int, outputs: Int, inputs: Int, kernel: Int, workspace: Workspace<Scalar>) -> [Scalar] {
        let full = SupernetShape.blockInputs(index), width = SupernetShape.maximumWidth
        let offset = (SupernetShape.maximumKernel - kernel) / 2
        let base = SupernetShape.blocks[index]
        var matrix = workspace.zeros(outputs * inputs * kernel * kernel)
        parameters.withUnsafeBufferPointer { weights in
            matrix.withUnsafeMutableBufferPointer { matrix in
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        for input in 0..<inputs {
                            let column = input + inputs * (kx + kernel * ky)
                            let source = base + (((ky + offset) * SupernetShape.maximumKernel + kx + offset) * full + input) * width
                            (matrix.baseAddress! + outputs * column).update(from: weights.baseAddress! + source, count: outputs)
                        }
                    }
                }
            }
        }
        return matrix
    }

    /// Adds a gradient of `blockWeights(index, …)` into the gradient of the whole parameter vector.
    static func addBlockGradient(_ slice: [Scalar], into gradient: UnsafeMutablePointer<Scalar>, block index: Int, outputs: Int, inputs: Int, kernel: Int) {
        let full = SupernetShape.blockInputs(index), width = SupernetShape.maximumWidth
        let offset = (SupernetShape.maximumKernel - kernel) / 2
        let base = SupernetShape.blocks[index]
        slice.withUnsafeBufferPointer { slice in
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    for input in 0..<inputs {
                        let column = input + inputs * (kx + kernel * ky)
                        let target = base + (((ky + offset) * SupernetShape.maximumKernel + kx + offset) * full + input) * width
                        for output in 0..<outputs { gradient[target + output] += slice[outputs * column + output] }
                    }
                }
            }
        }
    }

    /// One convolution (zero padded to keep the side), its bias and ReLU, and the residual when asked;
    /// records the convolution in `saved` and returns the next activation: the saved output itself, or (with
    /// the residual) an array of its own, which the caller may recycle.
    private func convolve(_ input: [Scalar], block: Int?, inputs: Int, outputs: Int, kernel: Int, images: Int, side: Int,
                          weights: [Scalar], bias: Int, residual: Bool, saved: inout [ForwardPass<Scalar>.Convolution],
                          workspace: Workspace<Scalar>) -> [Scalar] {
        let rows = inputs * kernel * kernel, pixels = images * side * side
        let columns = Layers.columns(input, channels: inputs, images: images, side: side, kernel: kernel, workspace: workspace)
        var output = workspace.zeros(outputs * pixels)
        weights.withUnsafeBufferPointer { weights in
            columns.withUnsafeBufferPointer { columns in
                output.withUnsafeMutableBufferPointer { output in
                    Scalar.gemm(transposeA: false, transposeB: false, m: outputs, n: pixels, k: rows, alpha: 1,
                                a: weights.baseAddress!, lda: outputs, b: columns.baseAddress!, ldb: rows, beta: 0,
                                c: output.baseAddress!, ldc: outputs)
                }
            }
        }
        Layers.biasReLU(&output, rows: outputs, bias: parameters[bias..<(bias + outputs)])
        saved.append(.init(block: block, inputs: inputs, outputs: outputs, kernel: kernel, side: side, residual: residual,
                           columns: columns, output: output, weights: weights))
        guard residual else { return output }
        var next = workspace.copy(output)
        Layers.add(input, to: &next)
        return next
    }

    /// Runs `subnet` on `images`.
    func forward(_ subnet: Subnet, images: [[Double]], workspace: Workspace<Scalar>) -> ForwardPass<Scalar> {
        let count = images.count
        var side = subnet.resolution
        var saved: [ForwardPass<Scalar>.Convolution] = []
        var stemWeights = workspace.zeros(SupernetShape.stemChannels * 9)
        for index in stemWeights.indices { stemWeights[index] = parameters[SupernetShape.stem + index] }
        let image = Self.input(images, resolution: side, workspace: workspace)
        var activation = convolve(image, block: nil, inputs: 1, outputs: SupernetShape.stemChannels,
                                  kernel: 3, images: count, side: side, weights: stemWeights, bias: SupernetShape.stemBias,
                                  residual: false, saved: &saved, workspace: workspace)
        workspace.recycle(image)
        // Whether `activation` is this function's own (pooled, or a residual sum) rather than a saved output.
        var owned = false
        func replace(_ next: [Scalar], owned nextOwned: Bool) {
            if owned { workspace.recycle(activation) }
            activation = next
            owned = nextOwned
        }
        var channels = SupernetShape.stemChannels
        var stageOneSide = side
        for stage in 0..<2 {
            if stage > 0 {
                stageOneSide = side
                replace(Layers.pool(activation, channels: channels, images: count, side: side, workspace: workspace), owned: true)
                side /= 2
            }
            for block in 0..<subnet.depths[stage] {
                let index = 3 * stage + block, kernel = subnet.kernels[index], outputs = subnet.widths[stage]
                let next = convolve(activation, block: index, inputs: channels, outputs: outputs, kernel: kernel, images: count, side: side,
                                    weights: blockWeights(index, outputs: outputs, inputs: channels, kernel: kernel, workspace: workspace),
                                    bias: SupernetShape.blockBiases[index], residual: block > 0, saved: &saved, workspace: workspace)
                replace(next, owned: block > 0)
                channels = outputs
            }
        }
        let (pooled, maxima) = Layers.globalMaximum(activation, channels: channels, images: count, pixels: side * side, workspace: workspace)
        replace([], owned: false)
        // The classifier's first `channels` columns are a 10 × channels column-major matrix.
        let classes = SupernetShape.classes
        var logits = workspace.zeros(classes * count)
        parameters.withUnsafeBufferPointer { weights in
            pooled.withUnsafeBufferPointer { pooled in
                logits.withUnsafeMutableBufferPointer { logits in
                    Scalar.gemm(transposeA: false, transposeB: false, m: classes, n: count, k: channels, alpha: 1,
                                a: weights.baseAddress! + SupernetShape.head, lda: classes, b: pooled.baseAddress!, ldb: channels, beta: 0,
                                c: logits.baseAddress!, ldc: classes)
                    for image in 0..<count {
                        for output in 0..<classes { logits[output + classes * image] += weights[SupernetShape.headBias + output] }
                    }
                }
            }
        }
        return ForwardPass(images: count, convolutions: saved, stageOneSide: stageOneSide, finalSide: side,
                           pooled: pooled, maxima: maxima, logits: logits)
    }

    /// Softmax probabilities of logits (classes × images), computed in double precision.
    static func softmax(_ logits: [Scalar]) -> [Double] {
        let classes = SupernetShape.classes
        var result = logits.map { Double($0) }
        for base in stride(from: 0, to: result.count, by: classes) {
            let peak = result[base..<(base + classes)].max()!
            var total = 0.0
            for output in base..<(base + classes) {
                result[output] = Foundation.exp(result[output] - peak)
                total += result[output]
            }
            for output in base..<(base + classes) { result[output] /= total }
        }
        return result
    }

    /// Images per forward pass when measuring accuracy: passes run in parallel, each small enough to keep
    /// its im2col matrices in cache.
    static var evaluationChunk: Int { 32 }

    /// The class `subnet` predicts for each image (the first of equal logits).
    func classify(_ subnet: Subnet, images: [[Double]], shelf: WorkspaceShelf<Scalar>) -> [Int] {
        let chunk = Self.evaluationChunk
        let chunks = (images.count + chunk - 1) / chunk
        var predictions = [Int](repeating: 0, count: images.count)
        let workers = min(chunks, max(1, ProcessInfo.processInfo.activeProcessorCount))
        shelf.with(workers) { workspaces in
        predictions.withUnsafeMutableBufferPointer { predictions in
            nonisolated(unsafe) let predictions = predictions
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let workspace = workspaces[worker]
                for part in stride(from: worker, to: chunks, by: workers) {
                    let start = part * chunk, end = min(images.count, start + chunk)
                    let pass = forward(subnet, images: Array(images[start..<end]), workspace: workspace)
                    let classes = SupernetShape.classes
                    for image in 0..<(end - start) {
                        let base = image * classes
                        var best = 0
                        for output in 1..<classes where pass.logits[base + output] > pass.logits[base + best] { best = output }
                        predictions[start + image] = best
                    }
                    workspace.recycle(pass)
                }
            }
        }
        }
        return predictions
    }
}

// The public entry points are concrete, so callers in other modules run code specialised for the scalar
// rather than the generic code.
extension Supernet where Scalar == Float {
    /// Where evaluations keep their working memory between calls.
    private static var shelf: WorkspaceShelf<Float> { sharedShelf }

    /// The class `subnet` predicts for each image (the first of equal logits).
    public func predictions(_ subnet: Subnet, images: [[Double]]) -> [Int] { classify(subnet, images: images, shelf: Self.shelf) }

    /// Top-1 accuracy of `subnet` on `images`, from 0 to 1.
    public func accuracy(_ subnet: Subnet, images: [[Double]], labels: [Int]) -> Double {
        Double(zip(predictions(subnet, images: images), labels).filter { $0 == $1 }.count) / Double(max(1, images.count))
    }
}

private let sharedShelf = WorkspaceShelf<Float>()
