import Foundation
import LinearAlgebra

extension Supernet {
    /// The cross-entropy of `pass` against target distributions (classes × images: one-hot for labels, a
    /// teacher's probabilities for distillation), summed over the pass's images and divided by `batch`; its
    /// gradient, scaled the same way, is added into `gradient` (laid out as `parameters`). Passes over the
    /// parts of one batch thus add up to the batch's mean loss and gradient.
    func backward(_ pass: ForwardPass<Scalar>, targets: [Double], batch: Int, into gradient: inout [Scalar], workspace: Workspace<Scalar>) -> Double {
        let classes = SupernetShape.classes, images = pass.images
        let probabilities = Self.softmax(pass.logits)
        var loss = 0.0
        var dLogits = [Scalar](repeating: 0, count: probabilities.count)
        for index in probabilities.indices {
            if targets[index] > 0 { loss -= targets[index] * Foundation.log(max(probabilities[index], 1e-300)) }
            dLogits[index] = Scalar((probabilities[index] - targets[index]) / Double(batch))
        }
        loss /= Double(batch)
        let channels = pass.pooled.count / max(1, images)
        let pixels = pass.finalSide * pass.finalSide
        var dActivation = workspace.zeros(channels * images * pixels)
        parameters.withUnsafeBufferPointer { weights in
            gradient.withUnsafeMutableBufferPointer { gradient in
                let gradient = gradient.baseAddress!
                dLogits.withUnsafeBufferPointer { dLogits in
                    // The classifier: its weight gradient dLogits·pooledᵀ straight into place, its bias the row sums.
                    pass.pooled.withUnsafeBufferPointer { pooled in
                        Scalar.gemm(transposeA: false, transposeB: true, m: classes, n: channels, k: images, alpha: 1,
                                    a: dLogits.baseAddress!, lda: classes, b: pooled.baseAddress!, ldb: channels, beta: 1,
                                    c: gradient + SupernetShape.head, ldc: classes)
                    }
                    for image in 0..<images {
                        for output in 0..<classes { gradient[SupernetShape.headBias + output] += dLogits[output + classes * image] }
                    }
                    // Back through the classifier and to each maximum of the global pooling.
                    var dPooled = workspace.zeros(channels * images)
                    dPooled.withUnsafeMutableBufferPointer { dPooled in
                        Scalar.gemm(transposeA: true, transposeB: false, m: channels, n: images, k: classes, alpha: 1,
                                    a: weights.baseAddress! + SupernetShape.head, lda: classes, b: dLogits.baseAddress!, ldb: classes, beta: 0,
                                    c: dPooled.baseAddress!, ldc: channels)
                    }
                    for index in dPooled.indices { dActivation[Int(pass.maxima[index])] += dPooled[index] }
                    workspace.recycle(dPooled)
                }
                // The convolutions, last first; between the stages, back through the average pooling.
                for position in pass.convolutions.indices.reversed() {
                    let convolution = pass.convolutions[position]
                    let dInput = backward(through: convolution, dOutput: dActivation, images: images, gradient: gradient, workspace: workspace)
                    workspace.recycle(dActivation)
                    dActivation = dInput
                    let next = position - 1
                    // The first block of stage two read the pooled output of stage one.
                    if convolution.block == 3, next >= 0 {
                        let unpooled = Layers.unpool(dActivation, channels: pass.convolutions[next].outputs, images: images, side: pass.stageOneSide, workspace: workspace)
                        workspace.recycle(dActivation)
                        dActivation = unpooled
                    }
                }
            }
        }
        return loss
    }

    /// Back through one convolution: the weight and bias gradients are added at `gradient`; returns the
    /// gradient of its input (nothing for the stem, whose input is the image).
    private func backward(through convolution: ForwardPass<Scalar>.Convolution, dOutput: [Scalar], images: Int,
                          gradient: UnsafeMutablePointer<Scalar>, workspace: Workspace<Scalar>) -> [Scalar] {
        let outputs = convolution.outputs, kernel = convolution.kernel
        let rows = convolution.inputs * kernel * kernel, pixels = images * convolution.side * convolution.side
        var dPre = workspace.copy(dOutput)
        let bias = convolution.block.map { SupernetShape.blockBiases[$0] } ?? SupernetShape.stemBias
        Layers.throughReLU(&dPre, output: convolution.output, rows: outputs, biasGradient: gradient + bias)
        guard let block = convolution.block else {
            // The stem's weights are a 16 × 9 column-major matrix: its gradient goes straight into place.
            dPre.withUnsafeBufferPointer { dPre in
                convolution.columns.withUnsafeBufferPointer { columns in
                    Scalar.gemm(transposeA: false, transposeB: true, m: outputs, n: rows, k: pixels, alpha: 1,
                                a: dPre.baseAddress!, lda: outputs, b: columns.baseAddress!, ldb: rows, beta: 1,
                                c: gradient + SupernetShape.stem, ldc: outputs)
                }
            }
            workspace.recycle(dPre)
            return []
        }
        var dWeights = workspace.zeros(outputs * rows)
        var dColumns = workspace.zeros(rows * pixels)
        dPre.withUnsafeBufferPointer { dPre in
            convolution.columns.withUnsafeBufferPointer { columns in
                dWeights.withUnsafeMutableBufferPointer { dWeights in
                    Scalar.gemm(transposeA: false, transposeB: true, m: outputs, n: rows, k: pixels, alpha: 1,
                                a: dPre.baseAddress!, lda: outputs, b: columns.baseAddress!, ldb: rows, beta: 0,
                                c: dWeights.baseAddress!, ldc: outputs)
                }
            }
            convolution.weights.withUnsafeBufferPointer { weights in
                dColumns.withUnsafeMutableBufferPointer { dColumns in
                    Scalar.gemm(transposeA: true, transposeB: false, m: rows, n: pixels, k: outputs, alpha: 1,
                                a: weights.baseAddress!, lda: outputs, b: dPre.baseAddress!, ldb: outputs, beta: 0,
                                c: dColumns.baseAddress!, ldc: rows)
                }
            }
        }
        Self.addBlockGradient(dWeights, into: gradient, block: block, outputs: outputs, inputs: convolution.inputs, kernel: kernel)
        var dInput = Layers.uncolumns(dColumns, channels: convolution.inputs, images: images, side: convolution.side, kernel: kernel, workspace: workspace)
        workspace.recycle(dPre, dWeights, dColumns)
        // The residual passes the output's gradient straight to the input.
        if convolution.residual { Layers.add(dOutput, to: &dInput) }
        return dInput
    }
}

extension Supernet {
    /// The mean cross-entropy of `subnet` on `images` against `targets` (classes × images) and its gradient
    /// (laid out as `parameters`), in one pass.
    fileprivate func computeLossAndGradient(_ subnet: Subnet, images: [[Double]], targets: [Double]) -> (loss: Double, gradient: [Scalar]) {
        let workspace = Workspace<Scalar>()
        var gradient = [Scalar](repeating: 0, count: parameters.count)
        let loss = backward(forward(subnet, images: images, workspace: workspace), targets: targets, batch: images.count,
                            into: &gradient, workspace: workspace)
        return (loss, gradient)
    }
}

// Concrete entry points, compiled here for each precision, so callers in other modules (the tests, which
// check gradients in double precision) run specialised code.
extension Supernet where Scalar == Double {
    /// The mean cross-entropy of `subnet` on `images` against `targets` (classes × images) and its gradient.
    func lossAndGradient(_ subnet: Subnet, images: [[Double]], targets: [Double]) -> (loss: Double, gradient: [Double]) {
        computeLossAndGradient(subnet, images: images, targets: targets)
    }

    /// The logits (classes × images) of `subnet` on `images`.
    func logits(_ subnet: Subnet, images: [[Double]]) -> [Double] { forward(subnet, images: images, workspace: Workspace()).logits }
}

extension Supernet where Scalar == Float {
    /// The mean cross-entropy of `subnet` on `images` against `targets` (classes × images) and its gradient.
    func lossAndGradient(_ subnet: Subnet, images: [[Double]], targets: [Double]) -> (loss: Double, gradient: [Float]) {
        computeLossAndGradient(subnet, images: images, targets: targets)
    }

    /// The logits (classes × images) of `subnet` on `images`.
    func logits(_ subnet: Subnet, images: [[Double]]) -> [Float] { forward(subnet, images: images, workspace: Workspace()).logits }
}
