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
    /// Progressive shrinking (Cai et al., Once-for-All, ICLR 2020): the first quarter of the epochs trains
    /// the largest subnet alone; then kernels become elastic, then depths, then widths (the resolution is
    /// elastic throughout the later phases). Each step trains one subnet sampled from what is unlocked on
    /// the labels and the largest subnet's predictions (half each).
    case progressive
    /// Complexity-aware sampling in the spirit of ShiftNAS (Su et al., 2023) and ElasticViT (Tang et al.,
    /// ICCV 2023): subnets are grouped into four bins of MACs (quartiles of the space); each step trains
    /// the largest subnet on the labels and two subnets from one bin — so the subnets of a step are close
    /// in complexity — distilled from it, choosing the bin with probability proportional to its running
    /// loss, which shifts training toward the complexities that are behind.
    case complexity
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

    static func quartiles(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        return [0.25, 0.5, 0.75].map { sorted[Int($0 * Double(sorted.count - 1))] }
    }

    static func bin(_ macs: Int, edges: [Double]) -> Int {
        edges.firstIndex { Double(macs) <= $0 } ?? edges.count
    }

    /// One-hot targets, classes × batch.
    static func oneHot(_ labels: [Int]) -> Matrix {
        var matrix = Matrix(rows: Supernet.classes, columns: labels.count)
        for (image, label) in labels.enumerated() { matrix.storage[label + Supernet.classes * image] = 1 }
        return matrix
    }

    /// Trains from the seed's initial weights on `images`/`labels`; `progress(epoch, loss)` after each epoch.
    public func train(images: [[Double]], labels: [Int], seed: UInt64,
                      progress: (Int, Double) -> Void = { _, _ in }) throws -> Supernet {
        var model = Supernet(seed: Seeds.derive(seed, "initial weights"))
        var generator = SeededGenerator(seed: Seeds.derive(seed, "batches"))
        var parameters = model.flat
        var firstMoment = [Double](repeating: 0, count: parameters.count)
        var secondMoment = firstMoment
        let stepsPerEpoch = (images.count + batchSize - 1) / batchSize
        let totalSteps = max(1, epochs * stepsPerEpoch)
        var step = 0
        // Complexity bins: quartiles of the MACs of 2,000 random subnets; every bin starts at the initial loss.
        var binGenerator = SeededGenerator(seed: Seeds.derive(seed, "complexity bins"))
        let binEdges = Self.quartiles((0..<2_000).map { _ in Double(Subnet.random(using: &binGenerator).macs) })
        var binLoss = [Double](repeating: Foundation.log(Double(Supernet.classes)), count: 4)
        for epoch in 0..<epochs {
            var order = Array(images.indices)
            generator.shuffleUpward(&order)
            var epochLoss = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                try EvaluationDeadline.check()
                let rows = order[start..<min(order.count, start + batchSize)]
                let batch = rows.map { images[$0] }
                let labelTargets = Self.oneHot(rows.map { labels[$0] })
                var gradient = [Double](repeating: 0, count: parameters.count)
                // The largest subnet on the labels: its loss and gradient start the step, its predicted
                // distribution is what students are distilled towards.
                func teach() -> Matrix {
                    let pass = model.forward(.largest, images: batch)
                    let teacher = model.backward(.largest, pass: pass, targets: labelTargets)
                    epochLoss += teacher.loss
                    gradient = teacher.gradient.flat
                    return Supernet.softmax(pass.logits)
                }
                // A student's gradient added to the step's; its loss.
                func learn(_ subnet: Subnet, _ targets: Matrix) -> Double {
                    let student = model.backward(subnet, pass: model.forward(subnet, images: batch), targets: targets)
                    let flat = student.gradient.flat
                    for index in gradient.indices { gradient[index] += flat[index] }
                    return student.loss
                }
                switch sampler {
                case .uniform:
                    epochLoss += learn(.random(using: &generator), labelTargets)
                case .progressive:
                    let phase = min(3, 4 * epoch / max(1, epochs))
                    if phase == 0 {
                        epochLoss += learn(.largest, labelTargets)
                    } else {
                        var subnet = Subnet.random(using: &generator)
                        if phase < 3 { subnet.widths = Subnet.largest.widths }
                        if phase < 2 { subnet.depths = Subnet.largest.depths }
                        let soft = Supernet.softmax(model.forward(.largest, images: batch).logits)
                        var targets = labelTargets
                        for index in targets.storage.indices { targets.storage[index] = 0.5 * (targets.storage[index] + soft.storage[index]) }
                        epochLoss += learn(subnet, targets)
                    }
                case .complexity:
                    let soft = teach()
                    // A bin with probability ∝ its running loss, then two subnets from it.
                    let total = binLoss.reduce(0, +)
                    var pick = generator.nextUnit() * total
                    var bin = 0
                    while bin < binLoss.count - 1 && pick >= binLoss[bin] {
                        pick -= binLoss[bin]
                        bin += 1
                    }
                    var lossInBin = 0.0
                    for _ in 0..<2 {
                        var subnet = Subnet.random(using: &generator)
                        for _ in 0..<200 where Self.bin(subnet.macs, edges: binEdges) != bin { subnet = Subnet.random(using: &generator) }
                        lossInBin += learn(subnet, soft) / 2
                    }
                    binLoss[bin] = 0.9 * binLoss[bin] + 0.1 * lossInBin
                case .sandwich:
                    let soft = teach()
                    for subnet in [Subnet.smallest, .random(using: &generator), .random(using: &generator)] { _ = learn(subnet, soft) }
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
