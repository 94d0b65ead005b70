import Foundation
import GymCore
import LinearAlgebra

/// How subnets are chosen at each training step of the supernet.
public enum SupernetSampler: String, CaseIterable, Codable, Sendable {
    /// Single-path one-shot (Guo et al., SPOS, ECCV 2020): one uniformly random subnet per step.
    case uniform
    /// Sandwich rule with in-place distillation (Yu & Huang, slimmable networks, ICCV 2019; Yu et al.,
    /// BigNAS, ECCV 2020): the largest subnet on the labels, then the smallest and two random subnets on
    /// the largest's predicted distribution, gradients summed.
    case sandwich
}

/// Trains a supernet: Adam (β 0.9, 0.999), learning rate 3·10⁻³ with cosine decay to 0, batches of 64
/// from a seeded shuffle each epoch. Deterministic for a seed.
public struct SupernetTrainer: Sendable {
    public var sampler: SupernetSampler
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double

    public init(sampler: SupernetSampler = .sandwich, epochs: Int = 20, batchSize: Int = 64, learningRate: Double = 3e-3) {
        self.sampler = sampler
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
    }

    /// One-hot targets, classes × batch.
    static func oneHot(_ labels: [Int]) -> Matrix {
        var matrix = Matrix(rows: Supernet.classes, columns: labels.count)
        for (image, label) in labels.enumerated() { matrix.storage[label + Supernet.classes * image] = 1 }
        return matrix
    }

    /// Trains from the seed's initial weights on `images`/`labels`; `progress(epoch, loss)` after each epoch.
    public func train(images: [[Double]], labels: [Int], seed: UInt64,
                      progress: (Int, Double) -> Void = { _, _ in }) -> Supernet {
        var model = Supernet(seed: Seeds.derive(seed, "initial weights"))
        var generator = SeededGenerator(seed: Seeds.derive(seed, "batches"))
        var parameters = model.flat
        var firstMoment = [Double](repeating: 0, count: parameters.count)
        var secondMoment = firstMoment
        let stepsPerEpoch = (images.count + batchSize - 1) / batchSize
        let totalSteps = max(1, epochs * stepsPerEpoch)
        var step = 0
        for epoch in 0..<epochs {
            var order = Array(images.indices)
            order.shuffle(using: &generator)
            var epochLoss = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = order[start..<min(order.count, start + batchSize)]
                let batch = rows.map { images[$0] }
                let labelTargets = Self.oneHot(rows.map { labels[$0] })
                var gradient = [Double](repeating: 0, count: parameters.count)
                switch sampler {
                case .uniform:
                    let subnet = Subnet.random(using: &generator)
                    let result = model.backward(subnet, pass: model.forward(subnet, images: batch), targets: labelTargets)
                    epochLoss += result.loss
                    gradient = result.gradient.flat
                case .sandwich:
                    let teacherPass = model.forward(.largest, images: batch)
                    let teacher = model.backward(.largest, pass: teacherPass, targets: labelTargets)
                    epochLoss += teacher.loss
                    gradient = teacher.gradient.flat
                    let soft = Supernet.softmax(teacherPass.logits)
                    for subnet in [Subnet.smallest, .random(using: &generator), .random(using: &generator)] {
                        let student = model.backward(subnet, pass: model.forward(subnet, images: batch), targets: soft)
                        let flat = student.gradient.flat
                        for index in gradient.indices { gradient[index] += flat[index] }
                    }
                }
                // Adam with bias correction and a cosine schedule.
                step += 1
                let rate = learningRate * 0.5 * (1 + cos(Double.pi * Double(step - 1) / Double(totalSteps)))
                let correction1 = 1 - pow(0.9, Double(step)), correction2 = 1 - pow(0.999, Double(step))
                for index in parameters.indices {
                    firstMoment[index] = 0.9 * firstMoment[index] + 0.1 * gradient[index]
                    secondMoment[index] = 0.999 * secondMoment[index] + 0.001 * gradient[index] * gradient[index]
                    parameters[index] -= rate * (firstMoment[index] / correction1) / ((secondMoment[index] / correction2).squareRoot() + 1e-8)
                }
                model.flat = parameters
            }
            progress(epoch + 1, epochLoss / Double(stepsPerEpoch))
        }
        return model
    }
}
