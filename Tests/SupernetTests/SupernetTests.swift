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
        let digits = try Digits.bundled()
        let images = Array(digits.images.prefix(5))
        let targets = SupernetTrainer.oneHot(Array(digits.labels.prefix(5)))
        var generator = SeededGenerator(seed: 3)
        for subnet in [Subnet(depths: [2, 3], widths: [24, 16], kernels: [3, 5, 5, 3, 5, 3], resolution: 6), .largest, .smallest] {
            let model = Supernet(seed: 7)
            let analytic = model.backward(subnet, pass: model.forward(subnet, images: images), targets: targets).gradient.flat
            let parameters = model.flat
            func loss(_ values: [Double]) -> Double {
                var copy = model
                copy.flat = values
                return copy.backward(subnet, pass: copy.forward(subnet, images: images), targets: targets).loss
            }
            // Thirty parameters the subnet uses, and ten it does not (their gradient must be zero).
            let used = parameters.indices.filter { analytic[$0] != 0 }
            let unused = parameters.indices.filter { analytic[$0] == 0 }
            var checked = 0
            for index in (0..<30).map({ _ in used[generator.nextInt(below: used.count)] }) + (0..<10).map({ _ in unused[generator.nextInt(below: unused.count)] }) {
                let step = 1e-5
                var up = parameters, down = parameters
                up[index] += step
                down[index] -= step
                let numeric = (loss(up) - loss(down)) / (2 * step)
                #expect(abs(numeric - analytic[index]) <= 1e-6 + 1e-4 * abs(numeric), "\(subnet) parameter \(index): \(numeric) vs \(analytic[index])")
                checked += 1
            }
            #expect(checked == 40)
        }
    }

    @Test func aShortSandwichTrainingLearnsAndTheLargestBeatsTheSmallest() throws {
        let digits = try Digits.bundled()
        let split = digits.split(testCount: 360, seed: 1)
        let trainer = SupernetTrainer(sampler: .sandwich, epochs: 4)
        let model = try trainer.train(images: split.train.map { digits.images[$0] }, labels: split.train.map { digits.labels[$0] }, seed: 2)
        let testImages = split.test.map { digits.images[$0] }, testLabels = split.test.map { digits.labels[$0] }
        let largest = model.accuracy(.largest, images: testImages, labels: testLabels)
        let smallest = model.accuracy(.smallest, images: testImages, labels: testLabels)
        // Chance is 10 %. (Four epochs teach the largest subnet first: in a release run it reaches 81 % after 4
        // epochs and 96 % after 12, the smallest 10 % and 44 %.)
        #expect(largest > 0.7, "largest \(largest)")
        #expect(largest > smallest + 0.2, "largest \(largest), smallest \(smallest)")
        // The same weights give the same accuracy.
        #expect(model.accuracy(.largest, images: testImages, labels: testLabels) == largest)
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
        let stored = try JSONDecoder().decode(Supernet.self, from: try Data(contentsOf: file))
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
        let images = Array(digits.images.prefix(256)), labels = Array(digits.labels.prefix(256))
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
