import Foundation
import Dispatch
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

/// Trains a supernet: Adam (β 0.9, 0.999), learning rate 5·10⁻³ with cosine decay to 0, batches of 32 from
/// a seeded shuffle each epoch (of all the images, or of an RS2 subset), in single precision. Each batch is split into `parts` halves that run in
/// parallel and whose gradients are added in a fixed order, so the weights are the same on any number of
/// cores. Deterministic for a seed.
public struct SupernetTrainer: Sendable {
    public var sampler: SupernetSampler
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Repeated sampling of random subsets (RS2; Okanovic et al., 2023): each epoch trains on this fraction
    /// of the training images, a fresh random subset each time; 1 trains on all of them.
    public var subsetFraction: Double
    /// How an epoch's subset is drawn when `subsetFraction` < 1.
    public var subsetSampling: SubsetSampling
    /// The parts each batch is split into (fixed, so the weights do not depend on the machine).
    public static let parts = 2

    /// How RS2 draws each epoch's subset of the training images.
    public enum SubsetSampling: String, CaseIterable, Codable, Sendable {
        /// Across epochs without replacement: the epochs walk through one shuffle of the images, so no image
        /// repeats until every image has been used (the few left over once the shuffle holds no whole subset
        /// wait for the next); then a new shuffle (what RS2 recommends).
        case without
        /// With replacement: each epoch draws its subset from all the images afresh.
        case with
    }

    public init(sampler: SupernetSampler = .sandwich, epochs: Int = 20, batchSize: Int = 32, learningRate: Double = 5e-3,
                subsetFraction: Double = 1, subsetSampling: SubsetSampling = .without) {
        self.sampler = sampler
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.subsetFraction = subsetFraction
        self.subsetSampling = subsetSampling
    }

    /// Images per epoch: the subset's size, ⌊fraction · count⌋ (at least one).
    func epochSize(of count: Int) -> Int { max(1, min(count, Int((subsetFraction * Double(count)).rounded(.down)))) }

    /// Draws each epoch's images (in training order) from one seeded generator. With the whole set, every
    /// epoch is a fresh shuffle of it, whichever the sampling.
    struct EpochOrder {
        let count: Int, size: Int, sampling: SubsetSampling
        var shuffled: [Int] = []
        var position = 0

        mutating func next(using generator: inout SeededGenerator) -> [Int] {
            if sampling == .with || position + size > shuffled.count {
                shuffled = Array(0..<count)
                generator.shuffleUpward(&shuffled)
                position = 0
            }
            defer { position += size }
            return Array(shuffled[position..<(position + size)])
        }
    }

    static func quartiles(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        return [0.25, 0.5, 0.75].map { sorted[Int($0 * Double(sorted.count - 1))] }
    }

    static func bin(_ macs: Int, edges: [Double]) -> Int {
        edges.firstIndex { Double(macs) <= $0 } ?? edges.count
    }

    /// One-hot targets, classes × images.
    static func oneHot(_ labels: [Int]) -> [Double] {
        var matrix = [Double](repeating: 0, count: SupernetShape.classes * labels.count)
        for (image, label) in labels.enumerated() { matrix[label + SupernetShape.classes * image] = 1 }
        return matrix
    }

    /// What one training step does, decided before the batch is split so every part agrees.
    struct Step {
        /// What a subnet learns from.
        enum Target {
            /// The labels.
            case labels
            /// This step's teacher: the largest subnet's predicted distribution after its own pass on the labels.
            case teacher
            /// Half the labels, half the largest subnet's predictions (which does not learn in this step).
            case blend
        }

        /// The largest subnet first learns from the labels and becomes the teacher.
        var teaches: Bool
        var lessons: [(subnet: Subnet, target: Target)]
    }

    /// Runs `step` on a part of a batch: its gradient (scaled by the whole batch's size) and the loss of the
    /// teacher, if any, then of each lesson.
    static func run(_ step: Step, on model: Supernet<Float>, images: [[Double]], labels: [Int], batch: Int,
                    workspace: Workspace<Float>) -> (gradient: [Float], losses: [Double]) {
        var gradient = [Float](repeating: 0, count: model.parameters.count)
        var losses: [Double] = []
        let labelTargets = oneHot(labels)
        var teacher: [Double] = []
        if step.teaches {
            let pass = model.forward(.largest, images: images, workspace: workspace)
            losses.append(model.backward(pass, targets: labelTargets, batch: batch, into: &gradient, workspace: workspace))
            teacher = Supernet<Float>.softmax(pass.logits)
            workspace.recycle(pass)
        }
        for (subnet, target) in step.lessons {
            let targets: [Double]
            switch target {
            case .labels: targets = labelTargets
            case .teacher: targets = teacher
            case .blend:
                let pass = model.forward(.largest, images: images, workspace: workspace)
                let soft = Supernet<Float>.softmax(pass.logits)
                workspace.recycle(pass)
                targets = zip(labelTargets, soft).map { 0.5 * ($0 + $1) }
            }
            let pass = model.forward(subnet, images: images, workspace: workspace)
            losses.append(model.backward(pass, targets: targets, batch: batch, into: &gradient, workspace: workspace))
            workspace.recycle(pass)
        }
        return (gradient, losses)
    }

    /// Runs `step` on a batch split into `parts`, in parallel: the gradient and losses of the whole batch,
    /// the parts added in order.
    static func runParts(_ step: Step, on model: Supernet<Float>, images: [[Double]], labels: [Int],
                         workspaces: [Workspace<Float>]) -> (gradient: [Float], losses: [Double]) {
        var results = [(gradient: [Float], losses: [Double])](repeating: ([], []), count: parts)
        results.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (part * images.count / parts)..<((part + 1) * images.count / parts)
                results[part] = run(step, on: model, images: Array(images[range]), labels: Array(labels[range]), batch: images.count,
                                    workspace: workspaces[part])
            }
        }
        var (gradient, losses) = results[0]
        for part in 1..<parts {
            Layers.add(results[part].gradient, to: &gradient)
            for index in losses.indices { losses[index] += results[part].losses[index] }
        }
        return (gradient, losses)
    }

    /// Trains from the seed's initial weights on `images`/`labels`; `progress(epoch, loss)` after each epoch
    /// (the mean loss of the first subnet each step trains: the teacher, or the one subnet), and
    /// `afterEpoch(epoch, weights)` to look at the weights as they are then.
    public func train(images: [[Double]], labels: [Int], seed: UInt64,
                      progress: (Int, Double) -> Void = { _, _ in },
                      afterEpoch: (Int, Supernet<Float>) -> Void = { _, _ in }) throws -> Supernet<Float> {
        var model = Supernet<Float>(seed: Seeds.derive(seed, "initial weights"))
        var generator = SeededGenerator(seed: Seeds.derive(seed, "batches"))
        let count = model.parameters.count
        var firstMoment = [Float](repeating: 0, count: count)
        var secondMoment = firstMoment
        var epochOrder = EpochOrder(count: images.count, size: epochSize(of: images.count), sampling: subsetSampling)
        let stepsPerEpoch = (epochOrder.size + batchSize - 1) / batchSize
        let totalSteps = max(1, epochs * stepsPerEpoch)
        var stepNumber = 0
        // Complexity bins: quartiles of the MACs of 2,000 random subnets; every bin starts at the initial loss.
        var binGenerator = SeededGenerator(seed: Seeds.derive(seed, "complexity bins"))
        let binEdges = Self.quartiles((0..<2_000).map { _ in Double(Subnet.random(using: &binGenerator).macs) })
        var binLoss = [Double](repeating: Foundation.log(Double(SupernetShape.classes)), count: 4)
        let workspaces = (0..<Self.parts).map { _ in Workspace<Float>() }
        for epoch in 0..<epochs {
            let order = epochOrder.next(using: &generator)
            var epochLoss = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                try EvaluationDeadline.check()
                let rows = Array(order[start..<min(order.count, start + batchSize)])
                var bin = 0
                let step: Step
                switch sampler {
                case .uniform:
                    step = Step(teaches: false, lessons: [(.random(using: &generator), .labels)])
                case .progressive:
                    let phase = min(3, 4 * epoch / max(1, epochs))
                    if phase == 0 {
                        step = Step(teaches: false, lessons: [(.largest, .labels)])
                    } else {
                        var subnet = Subnet.random(using: &generator)
                        if phase < 3 { subnet.widths = Subnet.largest.widths }
                        if phase < 2 { subnet.depths = Subnet.largest.depths }
                        step = Step(teaches: false, lessons: [(subnet, .blend)])
                    }
                case .complexity:
                    // A bin with probability ∝ its running loss, then two subnets from it.
                    var pick = generator.nextUnit() * binLoss.reduce(0, +)
                    while bin < binLoss.count - 1 && pick >= binLoss[bin] {
                        pick -= binLoss[bin]
                        bin += 1
                    }
                    var lessons: [(Subnet, Step.Target)] = []
                    for _ in 0..<2 {
                        var subnet = Subnet.random(using: &generator)
                        for _ in 0..<200 where Self.bin(subnet.macs, edges: binEdges) != bin { subnet = Subnet.random(using: &generator) }
                        lessons.append((subnet, .teacher))
                    }
                    step = Step(teaches: true, lessons: lessons)
                case .sandwich:
                    step = Step(teaches: true, lessons: [(.smallest, .teacher), (.random(using: &generator), .teacher), (.random(using: &generator), .teacher)])
                }
                let (gradient, losses) = Self.runParts(step, on: model, images: rows.map { images[$0] }, labels: rows.map { labels[$0] },
                                                       workspaces: workspaces)
                epochLoss += losses[0]
                if sampler == .complexity { binLoss[bin] = 0.9 * binLoss[bin] + 0.1 * (losses[1] + losses[2]) / 2 }
                // Adam with bias correction and a cosine schedule.
                stepNumber += 1
                let rate = Float(learningRate * 0.5 * (1 + cos(Double.pi * Double(stepNumber - 1) / Double(totalSteps))))
                let correction1 = Float(1 - pow(0.9, Double(stepNumber))), correction2 = Float(1 - pow(0.999, Double(stepNumber)))
                model.parameters.withUnsafeMutableBufferPointer { parameters in
                    for index in 0..<count {
                        let g = gradient[index]
                        firstMoment[index] = 0.9 * firstMoment[index] + 0.1 * g
                        secondMoment[index] = 0.999 * secondMoment[index] + 0.001 * g * g
                        parameters[index] -= rate * (firstMoment[index] / correction1) / ((secondMoment[index] / correction2).squareRoot() + 1e-8)
                    }
                }
            }
            progress(epoch + 1, epochLoss / Double(stepsPerEpoch))
            afterEpoch(epoch + 1, model)
        }
        return model
    }
}
