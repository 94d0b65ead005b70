import GymCore
import Testing
@testable import NASBench201

@Suite struct NASBench201Tests {
    static func design(_ key: String) -> Design {
        let digits = key.map { $0.wholeNumberValue! }
        return Design(Dictionary(uniqueKeysWithValues: zip(NASBench201Environment.space.names, digits).map {
            ($0, ParameterValue.string(NASBench201Environment.operations[$1]))
        }))
    }

    static func allKeys() -> [String] {
        (0..<15_625).map { number in
            var digits: [Int] = []
            var rest = number
            for _ in 0..<6 {
                digits.insert(rest % 5, at: 0)
                rest /= 5
            }
            return digits.map(String.init).joined()
        }
    }

    @Test(arguments: [("cifar10", 91.61, "333132"), ("cifar100", 73.49, "333133"), ("imagenet16-120", 46.73, "322133")])
    func thePublishedOptimaAreTheBestInTheTable(_ dataset: String, _ optimum: Double, _ key: String) throws {
        let environment = try NASBench201Environment(options: EnvironmentOptions(workload: dataset))
        var best = (accuracy: -Double.infinity, key: "")
        for candidate in Self.allKeys() {
            let accuracy = try environment.evaluate(Self.design(candidate)).metrics["val_accuracy"]!
            if accuracy > best.accuracy { best = (accuracy, candidate) }
        }
        // NAS-Bench-201's published optima (mean validation accuracy over seeds), to two decimals.
        #expect(abs(best.accuracy - optimum) < 0.005, "\(dataset): best \(best.accuracy) at \(best.key)")
        #expect(best.key == key)
    }

    @Test func disconnectedCellsScoreAtChance() throws {
        let environment = try NASBench201Environment(options: EnvironmentOptions(workload: "cifar10"))
        // Input and output are cut apart when every edge of one of the cuts {0, 1, 3}, {0, 3, 5}, {3, 4, 5} is
        // none: 3·5³ − (5² + 5 + 5²) + 5 = 325 architectures (inclusion–exclusion over the three cuts).
        var checked = 0
        for key in Self.allKeys() {
            let digits = key.map { $0.wholeNumberValue! }
            let cut = [[0, 1, 3], [0, 3, 5], [3, 4, 5]].contains { $0.allSatisfy { digits[$0] == 0 } }
            guard cut else { continue }
            let accuracy = try environment.evaluate(Self.design(key)).metrics["val_accuracy"]!
            #expect(abs(accuracy - 10) < 0.5, "\(key): \(accuracy)")  // chance on 10 classes
            checked += 1
        }
        #expect(checked == 325)
    }

    @Test func parametersAndMACsByHand() throws {
        // All six edges 3×3 convolutions (key 333333), CIFAR-10: stem 3·16·9 + 2·16 = 464; cells 5·6·(9C² + 2C)
        // for C = 16, 32, 64: 70,080 + 278,400 + 1,109,760; reductions (9·16·32 + 64) + (9·32² + 64) + 16·32
        // = 14,464 and (9·32·64 + 128) + (9·64² + 128) + 32·64 = 57,600; final BN 128; classifier 64·10 + 10.
        let cost = TinyNetwork.cost(key: [3, 3, 3, 3, 3, 3], inputSize: 32, classes: 10)
        #expect(cost.parameters == 464 + 70_080 + 278_400 + 1_109_760 + 14_464 + 57_600 + 128 + 650)
        #expect(cost.parameters == 1_531_546)
        // MACs: stem 442,368; each stage 30 convs of 2,359,296; each reduction 3,670,016; classifier 640.
        #expect(cost.macs == 442_368 + 3 * 30 * 2_359_296 + 2 * 3_670_016 + 640)
        #expect(cost.macs == 220_119_680)
        // An all-none cell keeps only the stem, reductions, final BN and classifier.
        #expect(TinyNetwork.cost(key: [0, 0, 0, 0, 0, 0], inputSize: 32, classes: 10).parameters == 464 + 14_464 + 57_600 + 128 + 650)
    }

    @Test(arguments: [("cifar10", 10), ("cifar100", 100), ("imagenet16-120", 120)])
    func theAnalyticParameterCountMatchesTheTable(_ dataset: String, _ classes: Int) throws {
        let table = try BenchmarkTable.shared()
        let index = NASBench201Environment.datasets.firstIndex { $0.name == dataset }!
        var differFromFirstSeed = 0
        for key in Self.allKeys() {
            let digits = key.map { $0.wholeNumberValue! }
            let millions = Double(TinyNetwork.cost(key: digits, inputSize: NASBench201Environment.datasets[index].inputSize, classes: classes).parameters) / 1e6
            let sizes = table.entry(key: digits, dataset: index).modelSizes
            // Every architecture's count is one of its recorded model sizes…
            #expect(sizes.contains { abs($0 - millions) < 5e-7 }, "\(dataset) \(key): \(millions) not in \(sizes)")
            if abs(sizes[0] - millions) > 5e-7 { differFromFirstSeed += 1 }
        }
        // …and the first seed's for all but 150: isomorphic duplicates whose runs NAS-Bench-201 merged.
        #expect(differFromFirstSeed == 150, "\(dataset)")
    }

    @Test func singleSeedsAndSampledSeedsComeFromTheRecordedOnes() throws {
        let design = Self.design("333132")
        let mean = try NASBench201Environment(options: EnvironmentOptions(workload: "cifar10")).evaluate(design)
        guard case .array(let seeds) = mean.details["seed_accuracies"] else { Issue.record("no seed accuracies"); return }
        let recorded = seeds.compactMap { if case .number(let value) = $0 { return value } else { return nil } }
        #expect(recorded.count == 3 && abs(recorded.reduce(0, +) / 3 - mean.metrics["val_accuracy"]!) < 1e-12)
        for index in 0..<3 {
            let single = try NASBench201Environment(options: EnvironmentOptions(workload: "cifar10", values: ["accuracy": String(index)]))
            #expect(try single.evaluate(design).metrics["val_accuracy"] == recorded[index])
        }
        // Sampling draws one of them per design, fixed by the environment's seed.
        var seen = Set<Double>()
        for seed in 0..<20 as Range<UInt64> {
            let sampled = try NASBench201Environment(options: EnvironmentOptions(workload: "cifar10", seed: seed, values: ["accuracy": "sample"]))
            let value = try sampled.evaluate(design).metrics["val_accuracy"]!
            #expect(recorded.contains(value))
            #expect(try sampled.evaluate(design).metrics["val_accuracy"] == value)
            seen.insert(value)
        }
        #expect(seen.count > 1)
        #expect(throws: EnvironmentError.self) { try NASBench201Environment(options: EnvironmentOptions(values: ["accuracy": "median"])) }
        let text = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
        #expect(NASBench201Environment.architectureString([3, 3, 3, 1, 3, 2]) == text)
        // The string form is accepted as a design.
        let environment = try NASBench201Environment(options: EnvironmentOptions())
        #expect(NASBench201Environment.key(try environment.design(fromJSON: #"{"arch": "\#(text)"}"#)) == [3, 3, 3, 1, 3, 2])
        #expect(throws: DesignError.self) { try environment.design(fromJSON: #"{"arch": "|conv~0|"}"#) }
    }
}
