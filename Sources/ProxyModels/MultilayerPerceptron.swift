import Foundation
import GymCore

/// A small multilayer perceptron regressor: tanh hidden layers, a linear output, standardised targets,
/// squared error, Adam on seeded mini-batches; weights start with Glorot-uniform draws from the seed.
public struct MultilayerPerceptron: Sendable, Codable, Equatable {
    public struct Settings: Sendable, Codable, Equatable {
        public var hidden: [Int]
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double

        public init(hidden: [Int] = [64, 64], epochs: Int = 300, batchSize: Int = 32, learningRate: Double = 0.003) {
            self.hidden = hidden
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
        }
    }

    /// Layer l maps `sizes[l]` inputs to `sizes[l + 1]` outputs: weights row-major [out][in], then biases.
    public private(set) var sizes: [Int]
    public private(set) var weights: [[Double]]
    public private(set) var biases: [[Double]]
    public private(set) var mean: Double
    public private(set) var scale: Double

    public init(x: [[Double]], y: [Double], settings: Settings = Settings(), seed: UInt64) throws {
        guard !y.isEmpty, x.count == y.count else {
            throw ProxyError.invalidData("\(x.count) feature rows and \(y.count) targets; an MLP needs at least one row of each")
        }
        guard settings.hidden.allSatisfy({ $0 >= 1 }), settings.epochs >= 1, settings.batchSize >= 1, settings.learningRate > 0 else {
            throw ProxyError.invalidSetting("an MLP needs positive layer widths, epochs, batch size and learning rate")
        }
        var generator = SeededGenerator(seed: seed)
        sizes = [x[0].count] + settings.hidden + [1]
        weights = []
        biases = []
        for layer in 0..<(sizes.count - 1) {
            let limit = (6.0 / Double(sizes[layer] + sizes[layer + 1])).squareRoot()
            weights.append((0..<(sizes[layer] * sizes[layer + 1])).map { _ in (2 * generator.nextUnit() - 1) * limit })
            biases.append([Double](repeating: 0, count: sizes[layer + 1]))
        }
        let n = Double(y.count)
        let average = y.reduce(0, +) / n
        let deviation = (y.reduce(0) { $0 + ($1 - average) * ($1 - average) } / n).squareRoot()
        let spread = deviation > 0 ? deviation : 1
        mean = average
        scale = spread
        let targets = y.map { ($0 - average) / spread }

        // Adam state.
        var mW = weights.map { $0.map { _ in 0.0 } }, vW = mW
        var mB = biases.map { $0.map { _ in 0.0 } }, vB = mB
        var step = 0.0
        let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8)
        var order = Array(y.indices)
        for _ in 0..<settings.epochs {
            generator.shuffleUpward(&order)
            var start = 0
            while start < order.count {
                let batch = order[start..<min(start + settings.batchSize, order.count)]
                start += settings.batchSize
                var gradW = weights.map { $0.map { _ in 0.0 } }
                var gradB = biases.map { $0.map { _ in 0.0 } }
                for row in batch {
                    let activations = forward(x[row])
                    // d(½(out − t)²)/d out, averaged over the batch.
                    var delta = [(activations.last![0] - targets[row]) / Double(batch.count)]
                    for layer in stride(from: sizes.count - 2, through: 0, by: -1) {
                        let input = activations[layer]
                        let outputs = sizes[layer + 1], inputs = sizes[layer]
                        for o in 0..<outputs {
                            gradB[layer][o] += delta[o]
                            for i in 0..<inputs { gradW[layer][o * inputs + i] += delta[o] * input[i] }
                        }
                        if layer > 0 {
                            var previous = [Double](repeating: 0, count: inputs)
                            for i in 0..<inputs {
                                var sum = 0.0
                                for o in 0..<outputs { sum += weights[layer][o * inputs + i] * delta[o] }
                                previous[i] = sum * (1 - input[i] * input[i])  // tanh′
                            }
                            delta = previous
                        }
                    }
                }
                step += 1
                let correction1 = 1 - Foundation.pow(beta1, step), correction2 = 1 - Foundation.pow(beta2, step)
                for layer in weights.indices {
                    for k in weights[layer].indices {
                        mW[layer][k] = beta1 * mW[layer][k] + (1 - beta1) * gradW[layer][k]
                        vW[layer][k] = beta2 * vW[layer][k] + (1 - beta2) * gradW[layer][k] * gradW[layer][k]
                        weights[layer][k] -= settings.learningRate * (mW[layer][k] / correction1) / ((vW[layer][k] / correction2).squareRoot() + epsilon)
                    }
                    for k in biases[layer].indices {
                        mB[layer][k] = beta1 * mB[layer][k] + (1 - beta1) * gradB[layer][k]
                        vB[layer][k] = beta2 * vB[layer][k] + (1 - beta2) * gradB[layer][k] * gradB[layer][k]
                        biases[layer][k] -= settings.learningRate * (mB[layer][k] / correction1) / ((vB[layer][k] / correction2).squareRoot() + epsilon)
                    }
                }
            }
        }
    }

    /// The activations of every layer for one input (the input first, the output last).
    private func forward(_ input: [Double]) -> [[Double]] {
        var activations = [input]
        for layer in 0..<(sizes.count - 1) {
            let inputs = sizes[layer], outputs = sizes[layer + 1]
            let current = activations[layer]
            var next = biases[layer]
            for o in 0..<outputs {
                var sum = next[o]
                for i in 0..<inputs { sum += weights[layer][o * inputs + i] * current[i] }
                next[o] = layer == sizes.count - 2 ? sum : Foundation.tanh(sum)
            }
            activations.append(next)
        }
        return activations
    }

    public func predict(_ features: [Double]) -> Double {
        mean + scale * forward(features).last![0]
    }
}
