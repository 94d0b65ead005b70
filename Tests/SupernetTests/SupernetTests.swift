import Foundation
import GymCore
import LinearAlgebra
import Testing
@testable import Supernet

@Suite struct SupernetTests {
    @Test func theBundledDigitsAreWhole() throws {
        let digits = try Digits.bundled()
        #expect(digits.count == 1_797 && digits.images.allSatisfy { $0.count == 64 })
        // 174 to 183 samples per class.
        let counts = (0..<10).map { label in digits.labels.filter { $0 == label }.count }
        #expect(counts.min()! == 174 && counts.max()! == 183)
        let split = digits.split(testCount: 360, seed: 1)
        #expect(split.train.count == 1_437 && Set(split.train).isDisjoint(with: split.test))
        #expect(split == digits.split(testCount: 360, seed: 1))
    }

    @Test func macsAndParametersByHand() {
        // Largest: stem 16·9·8² = 9,216; stage one at 8×8: 16·32·25·64 = 819,200 then 2 × 32·32·25·64 =
        // 3,276,800; stage two at 4×4: 3 × 32·32·25·16 = 1,228,800; classifier 32·10 = 320.
        #expect(Subnet.largest.macs == 9_216 + 819_200 + 3_276_800 + 1_228_800 + 320)
        // Parameters: stem 144 + 16; first block 16·32·25 + 32 = 12,832; five more 32·32·25 + 32 = 25,632
        // each; classifier 320 + 10.
        #expect(Subnet.largest.parameters == 160 + 12_832 + 5 * 25_632 + 330)
        // Smallest (6×6 input, one 3×3 block of 16 per stage): 16·9·36 + 16·16·9·36 + 16·16·9·9 + 160.
        #expect(Subnet.smallest.macs == 5_184 + 82_944 + 20_736 + 160)
        #expect(Subnet.smallest.parameters == 160 + 2 * (16 * 16 * 9 + 16) + 170)
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        // In double precision, so central differences are accurate: every layer (stem, blocks with and without
        // the residual, both kernels, the average pooling between the stages, the global max pooling, the
        // classifier) is on the path of some checked parameter.
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(5))
        let targets = SupernetTrainer.oneHot(Array(digits.labels.prefix(5)))
        var generator = SeededGenerator(seed: 3)
        for subnet in [Subnet(depths: [2, 3], widths: [24, 16], kernels: [3, 5, 5, 3, 5, 3], resolution: 6), .largest, .smallest] {
            let model = Supernet<Double>(seed: 7)
            let analytic = model.lossAndGradient(subnet, images: images, targets: targets).gradient
            func loss(_ values: [Double]) -> Double {
                var copy = model
                copy.parameters = values
                return copy.lossAndGradient(subnet, images: images, targets: targets).loss
            }
            // Thirty parameters the subnet uses, and ten it does not (their gradient must be zero).
            let used = model.parameters.indices.filter { analytic[$0] != 0 }
            let unused = model.parameters.indices.filter { analytic[$0] == 0 }
            var checked = 0, kinks = 0
            for index in (0..<30).map({ _ in used[generator.nextInt(below: used.count)] }) + (0..<10).map({ _ in unused[generator.nextInt(below: unused.count)] }) {
                func differences(_ step: Double) -> (central: Double, oneSided: Double) {
                    var up = model.parameters, down = model.parameters
                    up[index] += step
                    down[index] -= step
                    let (above, below) = (loss(up), loss(down))
                    return ((above - below) / (2 * step), abs(above - 2 * loss(model.parameters) + below) / step)
                }
                var (numeric, bend) = differences(1e-6)
                // A ReLU or the global maximum switching within the step bends the loss there (the one-sided
                // differences disagree): look closer.
                if bend > 1e-6 + 1e-4 * abs(numeric) {
                    kinks += 1
                    (numeric, bend) = differences(1e-9)
                }
                #expect(abs(numeric - analytic[index]) <= 1e-6 + 1e-4 * abs(numeric), "\(subnet) parameter \(index): \(numeric) vs \(analytic[index])")
                checked += 1
            }
            #expect(kinks <= 4, "\(kinks) of 40 parameters sit at a kink")
            #expect(checked == 40)
            // Every layer's parameters get a gradient: the stem, each block the subnet uses, the classifier.
            #expect(analytic[SupernetShape.stem..<SupernetShape.stemBias].contains { $0 != 0 })
            for index in subnet.convolutions.map({ 3 * $0.stage + $0.block }) {
                #expect(analytic[SupernetShape.blocks[index]..<(SupernetShape.blocks[index] + 25 * SupernetShape.blockInputs(index) * 32)].contains { $0 != 0 })
            }
            #expect(analytic[SupernetShape.head..<SupernetShape.headBias].contains { $0 != 0 })
        }
    }

    @Test func singlePrecisionComputesTheSameNetwork() throws {
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(40))
        let exact = Supernet<Double>(seed: 11)
        let single = Supernet<Float>(exact)
        for subnet in [Subnet.largest, .smallest, Subnet(depths: [3, 1], widths: [16, 32], kernels: [5, 3, 5, 5, 3, 3], resolution: 8)] {
            let reference = exact.logits(subnet, images: images), logits = single.logits(subnet, images: images)
            let scale = reference.map(abs).max()!
            #expect(zip(reference, logits).allSatisfy { abs($0 - Double($1)) <= 1e-4 * scale }, "\(subnet)")
        }
    }

    @Test func aBatchSplitInPartsHasTheWholeBatchsGradient() throws {
        // Each part's loss and gradient are divided by the whole batch's size, so the parts add up to the
        // batch's mean: the same (to rounding) as one pass over all 32 images.
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(32)), labels = Array(digits.labels.prefix(32))
        let model = Supernet<Float>(seed: 5)
        let step = SupernetTrainer.Step(teaches: true, lessons: [(.smallest, .teacher), (Subnet(depths: [2, 2], widths: [24, 24], kernels: [3, 5, 3, 3, 5, 3], resolution: 8), .labels)])
        let parts = SupernetTrainer.runParts(step, on: model, images: images, labels: labels, workspaces: [Workspace(), Workspace()])
        let whole = SupernetTrainer.run(step, on: model, images: images, labels: labels, batch: 32, workspace: Workspace())
        #expect(parts.losses.count == 3 && zip(parts.losses, whole.losses).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) })
        let scale = whole.gradient.map(abs).max()!
        #expect(zip(parts.gradient, whole.gradient).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        // The teacher's loss is the largest subnet's on the labels.
        #expect(abs(parts.losses[0] - model.lossAndGradient(.largest, images: images, targets: SupernetTrainer.oneHot(labels)).loss) < 1e-6)
    }

    @Test func evaluationInChunksPredictsAsOnePassDoes() throws {
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(100))  // 3 chunks of 32 and one of 4
        let model = Supernet<Float>(seed: 9)
        for subnet in [Subnet.largest, .smallest] {
            let logits = model.logits(subnet, images: images)
            // The first of equal largest logits.
            let expected: [Int] = (0..<images.count).map { image in
                var best = 0
                for output in 1..<10 where logits[10 * image + output] > logits[10 * image + best] { best = output }
                return best
            }
            // Twice: the second time the workspaces are reused.
            #expect(model.predictions(subnet, images: images) == expected)
            #expect(model.predictions(subnet, images: images) == expected)
        }
    }

    @Test func aReusedWorkspaceArrayIsZeroedAndTheLargeOnesAreKept() {
        let workspace = Workspace<Float>()
        var first = workspace.zeros(1_000)
        for index in first.indices { first[index] = 7 }
        workspace.recycle(first)
        #expect(workspace.zeros(600) == [Float](repeating: 0, count: 600))
        #expect(workspace.zeros(1_200) == [Float](repeating: 0, count: 1_200))
        // Full of small arrays, it still keeps a large one.
        for _ in 0..<100 { workspace.recycle([Float](repeating: 1, count: 4)) }
        var large = workspace.zeros(100_000)
        large[0] = 3
        workspace.recycle(large)
        let reused = workspace.zeros(100_000)
        #expect(reused.capacity >= 100_000 && reused.allSatisfy { $0 == 0 })
    }

    @Test func aShortSandwichTrainingLearnsAndTheLargestBeatsTheSmallest() throws {
        let digits = try Digits.bundled()
        let split = digits.split(testCount: 360, seed: 1)
        let trainer = SupernetTrainer(sampler: .sandwich, epochs: 2)
        let model = try trainer.train(images: split.train.map { digits.images[$0] }, labels: split.train.map { digits.labels[$0] }, seed: 2)
        let testImages = split.test.map { digits.images[$0] }, testLabels = split.test.map { digits.labels[$0] }
        let largest = model.accuracy(.largest, images: testImages, labels: testLabels)
        let smallest = model.accuracy(.smallest, images: testImages, labels: testLabels)
        // Chance is 10 %. (Two epochs teach the largest subnet first: 93.6 % against the smallest's 34.2 %.)
        #expect(largest > 0.85, "largest \(largest)")
        #expect(largest > smallest + 0.3, "largest \(largest), smallest \(smallest)")
        // The same weights give the same accuracy.
        #expect(model.accuracy(.largest, images: testImages, labels: testLabels) == largest)
    }

    @Test func rs2SubsetsWalkThroughTheImagesWithoutReplacement() {
        // 10 images at a fraction of 0.3: subsets of ⌊0.3 · 10⌋ = 3; three epochs use 9 distinct images of one
        // shuffle, the fourth starts a new shuffle.
        var generator = SeededGenerator(seed: 4)
        var without = SupernetTrainer.EpochOrder(count: 10, size: SupernetTrainer(subsetFraction: 0.3).epochSize(of: 10), sampling: .without)
        let epochs = (0..<4).map { _ in without.next(using: &generator) }
        #expect(epochs.allSatisfy { $0.count == 3 })
        #expect(Set(epochs[0...2].joined()).count == 9)
        // With replacement every epoch is drawn from all ten afresh: over many epochs each image turns up, and
        // some epoch repeats an image of the one before.
        var with = SupernetTrainer.EpochOrder(count: 10, size: 3, sampling: .with)
        let drawn = (0..<40).map { _ in with.next(using: &generator) }
        #expect(Set(drawn.joined()) == Set(0..<10))
        #expect(zip(drawn, drawn.dropFirst()).contains { !Set($0).isDisjoint(with: $1) })
        // The whole set is a fresh shuffle each epoch, whichever the sampling: the same orders.
        var a = SupernetTrainer.EpochOrder(count: 10, size: 10, sampling: .without), b = SupernetTrainer.EpochOrder(count: 10, size: 10, sampling: .with)
        var first = SeededGenerator(seed: 8), second = SeededGenerator(seed: 8)
        for _ in 0..<3 { #expect(a.next(using: &first) == b.next(using: &second)) }
    }

    @Test func rs2TrainsOnSubsetsAndTheWholeSetIsPlainTraining() throws {
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(96)), labels = Array(digits.labels.prefix(96))
        let plain = try SupernetTrainer(sampler: .uniform, epochs: 2).train(images: images, labels: labels, seed: 1)
        #expect(try SupernetTrainer(sampler: .uniform, epochs: 2, subsetFraction: 1, subsetSampling: .with).train(images: images, labels: labels, seed: 1) == plain)
        // A quarter: 24 images an epoch; the weights are looked at after each of the two epochs.
        var steps = 0
        let quarter = try SupernetTrainer(sampler: .uniform, epochs: 2, subsetFraction: 0.25).train(images: images, labels: labels, seed: 1,
                                                                                                   afterEpoch: { _, _ in steps += 1 })
        #expect(quarter != plain && steps == 2)
        // The environment keys its cache by the subset, and names a bad one.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("supernet-rs2").path
        let whole = try SupernetEnvironment(options: EnvironmentOptions(values: ["cache_dir": folder]))
        let half = try SupernetEnvironment(options: EnvironmentOptions(values: ["cache_dir": folder, "subset": "0.5"]))
        let halfWith = try SupernetEnvironment(options: EnvironmentOptions(values: ["cache_dir": folder, "subset": "0.5", "subset_sampling": "with"]))
        #expect(Set([whole.trainingKey, half.trainingKey, halfWith.trainingKey]).count == 3)
        #expect(try SupernetEnvironment(options: EnvironmentOptions(values: ["cache_dir": folder, "subset": "1.0"])).trainingKey == whole.trainingKey)
        for bad in [["subset": "0"], ["subset": "1.5"], ["subset": "half"], ["subset_sampling": "sometimes"]] {
            #expect(throws: EnvironmentError.self) { try SupernetEnvironment(options: EnvironmentOptions(values: bad)) }
        }
    }

    @Test func trainingIsDeterministicForASeed() throws {
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(128)), labels = Array(digits.labels.prefix(128))
        let trainer = SupernetTrainer(sampler: .uniform, epochs: 1)
        #expect(try trainer.train(images: images, labels: labels, seed: 5) == trainer.train(images: images, labels: labels, seed: 5))
        #expect(try trainer.train(images: images, labels: labels, seed: 5) != trainer.train(images: images, labels: labels, seed: 6))
    }
}

@Suite struct SupernetEnvironmentTests {
    @Test func cachedWeightsGiveTheSameAccuracyAndTheDesignSetsTheSubnet() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("supernet-\(UUID().uuidString)").path
        let options = EnvironmentOptions(values: ["epochs": "2", "sampler": "uniform", "cache_dir": folder])
        let environment = try SupernetEnvironment(options: options)
        let design = environment.spec.space.defaultDesign
        #expect(SupernetEnvironment.subnet(design) == .largest)
        let first = environment.measure(design)
        #expect(first.status == .ok, "\(first.message ?? "")")
        #expect(first.metrics["macs"] == Double(Subnet.largest.macs) && first.metrics["parameters"] == Double(Subnet.largest.parameters))
        #expect(first.metrics["latency_us"]! > 0)
        // Another instance reads the same weights: the same accuracy.
        let again = try SupernetEnvironment(options: options).measure(design)
        #expect(again.metrics["accuracy"] == first.metrics["accuracy"])
        // The weights on disk are the weights in use.
        let file = URL(fileURLWithPath: folder).appendingPathComponent("\(environment.trainingKey).json")
        let stored = try JSONDecoder().decode(Supernet<Float>.self, from: try Data(contentsOf: file))
        #expect(stored == (try environment.trained().model))
        // A smaller subnet: depth 1 and width 0.5 in both stages, 3×3 kernels, 6×6 input is the smallest.
        var small = design
        for (name, value) in [("depth_1", 1.0), ("depth_2", 1), ("width_1", 0.5), ("width_2", 0.5), ("resolution", 6)] {
            small[name] = value == value.rounded() ? .int(Int(value)) : .double(value)
        }
        for stage in 1...2 { for block in 1...3 { small["kernel_\(stage)_\(block)"] = .int(3) } }
        #expect(SupernetEnvironment.subnet(try environment.spec.space.validate(small)) == .smallest)
    }

    @Test func badOptionsAreNamed() {
        #expect(throws: EnvironmentError.self) { try SupernetEnvironment(options: EnvironmentOptions(values: ["sampler": "greedy"])) }
        #expect(throws: EnvironmentError.self) { try SupernetEnvironment(options: EnvironmentOptions(values: ["epochs": "0"])) }
        #expect(throws: EnvironmentError.self) { try SupernetEnvironment(options: EnvironmentOptions(values: ["nope": "1"])) }
    }
}

@Suite struct SupernetSamplerTests {
    @Test(arguments: SupernetSampler.allCases)
    func everySamplerTrainsAndIsDeterministic(_ sampler: SupernetSampler) throws {
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(640)), labels = Array(digits.labels.prefix(640))
        var losses: [Double] = []
        let trainer = SupernetTrainer(sampler: sampler, epochs: 4)
        let model = try trainer.train(images: images, labels: labels, seed: 3) { _, loss in losses.append(loss) }
        // The loss starts near ln 10 ≈ 2.30 (ten equally likely classes) and falls.
        #expect(losses.count == 4 && losses.last! < losses.first!, "\(sampler): \(losses)")
        #expect(try trainer.train(images: images, labels: labels, seed: 3) == model)
    }

    @Test func acceleratorLatencyMapsEverySubnetLayer() throws {
        let layers = SupernetEnvironment.acceleratorLayers(.largest)
        // Stem, six blocks, classifier; their MACs are the subnet's.
        #expect(layers.count == 8 && layers.reduce(0) { $0 + $1.macs } == Subnet.largest.macs)
        let large = try SupernetEnvironment.acceleratorCycles(.largest, on: .eyerissLike)
        let small = try SupernetEnvironment.acceleratorCycles(.smallest, on: .eyerissLike)
        #expect(large > small && small > 0)
        #expect(try SupernetEnvironment.acceleratorCycles(.largest, on: .eyerissLike) == large)
        let environment = try SupernetEnvironment(options: EnvironmentOptions(values: ["latency": "accelerator"]))
        let deterministic = environment.spec.metrics.allSatisfy { $0.isDeterministic }
        #expect(deterministic)
        #expect(throws: EnvironmentError.self) { try SupernetEnvironment(options: EnvironmentOptions(values: ["accelerator": "tpu-like"])) }
    }
}
