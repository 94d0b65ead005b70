import Foundation
import GymCore
import LinearAlgebra

/// A multilayer perceptron with tanh hidden layers, one softmax head per parameter and a value head.
/// Batches are columns: forward and backward passes are matrix products through BLAS.
struct PolicyNetwork: Codable {
    /// Weights W_l (out × in, column-major storage) and biases b_l of the hidden layers, then the heads'
    /// stacked logits layer, then the value layer.
    var weights: [[Double]]
    var biases: [[Double]]
    var shapes: [[Int]]  // [out, in] per layer
    let headWidths: [Int]

    init(inputs: Int, hidden: [Int], headWidths: [Int], generator: inout SeededGenerator) {
        self.headWidths = headWidths
        var sizes = [inputs] + hidden
        sizes.append(headWidths.reduce(0, +))
        weights = []
        biases = []
        shapes = []
        for layer in 0..<(sizes.count - 1) {
            let (inWidth, outWidth) = (sizes[layer], sizes[layer + 1])
            // Scaled Gaussian initialisation; the policy layer starts small so the first policy is near uniform.
            let scale = (layer == sizes.count - 2 ? 0.01 : 1) / Double(inWidth).squareRoot()
            weights.append((0..<(inWidth * outWidth)).map { _ in scale * generator.nextGaussian() })
            biases.append([Double](repeating: 0, count: outWidth))
            shapes.append([outWidth, inWidth])
        }
        let last = hidden.last ?? inputs
        weights.append((0..<last).map { _ in generator.nextGaussian() / Double(last).squareRoot() })
        biases.append([0])
        shapes.append([1, last])
    }

    var parameterCount: Int { weights.reduce(0) { $0 + $1.count } + biases.reduce(0) { $0 + $1.count } }

    /// The activations of every layer for a batch (inputs × batch): hidden activations, logits, values.
    struct Pass {
        var activations: [Matrix]  // input, then each hidden layer
        var logits: Matrix  // Σ head widths × batch
        var values: [Double]
    }

    func layer(_ index: Int) -> Matrix {
        var matrix = Matrix(rows: shapes[index][0], columns: shapes[index][1])
        matrix.storage = weights[index]
        return matrix
    }

    func forward(_ input: Matrix) -> Pass {
        var activations = [input]
        let hiddenCount = weights.count - 2
        for index in 0..<hiddenCount {
            var z = layer(index) * activations[index]
            for column in 0..<z.columns { for row in 0..<z.rows { z[row, column] = tanh(z[row, column] + biases[index][row]) } }
            activations.append(z)
        }
        var logits = layer(hiddenCount) * activations[hiddenCount]
        for column in 0..<logits.columns { for row in 0..<logits.rows { logits[row, column] += biases[hiddenCount][row] } }
        let value = layer(hiddenCount + 1) * activations[hiddenCount]
        return Pass(activations: activations, logits: logits, values: value.storage.map { $0 + biases[hiddenCount + 1][0] })
    }

    /// Per-head probabilities of one column of logits.
    func probabilities(_ logits: Matrix, column: Int) -> [[Double]] {
        var offset = 0
        return headWidths.map { width in
            let slice = (0..<width).map { logits[offset + $0, column] }
            offset += width
            let largest = slice.max()!
            let exps = slice.map { exp($0 - largest) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }
    }

    /// Gradients of a loss given its gradients with respect to the logits and the values (both per column),
    /// in the layout of `weights` and `biases`.
    func backward(_ pass: Pass, logitGradient: Matrix, valueGradient: [Double]) -> (weights: [[Double]], biases: [[Double]]) {
        let hiddenCount = weights.count - 2
        var weightGradients = weights.map { [Double](repeating: 0, count: $0.count) }
        var biasGradients = biases.map { [Double](repeating: 0, count: $0.count) }
        let top = pass.activations[hiddenCount]
        weightGradients[hiddenCount] = Matrix.product(logitGradient, top, transposeB: true).storage
        biasGradients[hiddenCount] = (0..<logitGradient.rows).map { row in (0..<logitGradient.columns).reduce(0) { $0 + logitGradient[row, $1] } }
        let valueRow = Matrix(rows: 1, columns: valueGradient.count, repeating: 0)
        var valueMatrix = valueRow
        valueMatrix.storage = valueGradient
        weightGradients[hiddenCount + 1] = Matrix.product(valueMatrix, top, transposeB: true).storage
        biasGradients[hiddenCount + 1] = [valueGradient.reduce(0, +)]
        // Back into the top hidden layer from both heads.
        var upstream = Matrix.product(layer(hiddenCount), logitGradient, transposeA: true)
            + Matrix.product(layer(hiddenCount + 1), valueMatrix, transposeA: true)
        for index in stride(from: hiddenCount - 1, through: 0, by: -1) {
            let activation = pass.activations[index + 1]
            for i in upstream.storage.indices {
                upstream.storage[i] *= 1 - activation.storage[i] * activation.storage[i]
            }
            weightGradients[index] = Matrix.product(upstream, pass.activations[index], transposeB: true).storage
            biasGradients[index] = (0..<upstream.rows).map { row in (0..<upstream.columns).reduce(0) { $0 + upstream[row, $1] } }
            if index > 0 { upstream = Matrix.product(layer(index), upstream, transposeA: true) }
        }
        return (weightGradients, biasGradients)
    }
}

/// Adam (Kingma & Ba 2015) over a network's weights and biases.
struct AdamState: Codable {
    var firstWeights: [[Double]]
    var secondWeights: [[Double]]
    var firstBiases: [[Double]]
    var secondBiases: [[Double]]
    var step = 0

    init(_ network: PolicyNetwork) {
        firstWeights = network.weights.map { [Double](repeating: 0, count: $0.count) }
        secondWeights = firstWeights
        firstBiases = network.biases.map { [Double](repeating: 0, count: $0.count) }
        secondBiases = firstBiases
    }

    /// One descent step of size `rate` along the gradients (gradients are clipped to a global norm of 0.5).
    mutating func apply(_ gradients: (weights: [[Double]], biases: [[Double]]), to network: inout PolicyNetwork, rate: Double) {
        let norm = (gradients.weights.joined().reduce(0) { $0 + $1 * $1 } + gradients.biases.joined().reduce(0) { $0 + $1 * $1 }).squareRoot()
        let scale = norm > 0.5 ? 0.5 / norm : 1
        step += 1
        let (beta1, beta2) = (0.9, 0.999)
        let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
        func update(_ parameter: inout [Double], _ gradient: [Double], _ first: inout [Double], _ second: inout [Double]) {
            for i in parameter.indices {
                let g = gradient[i] * scale
                first[i] = beta1 * first[i] + (1 - beta1) * g
                second[i] = beta2 * second[i] + (1 - beta2) * g * g
                parameter[i] -= rate * (first[i] / correction1) / ((second[i] / correction2).squareRoot() + 1e-8)
            }
        }
        for layer in network.weights.indices {
            update(&network.weights[layer], gradients.weights[layer], &firstWeights[layer], &secondWeights[layer])
            update(&network.biases[layer], gradients.biases[layer], &firstBiases[layer], &secondBiases[layer])
        }
    }
}
