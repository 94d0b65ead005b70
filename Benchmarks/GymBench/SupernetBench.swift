import Dispatch
import Foundation
import GymCore
import Supernet

/// The subnets of the README's accuracy table, as designs of Supernet-v1.
let supernetTableDesigns: [(name: String, json: String)] = [
    ("largest", #"{"depth_1":3,"depth_2":3,"kernel_1_1":5,"kernel_1_2":5,"kernel_1_3":5,"kernel_2_1":5,"kernel_2_2":5,"kernel_2_3":5,"resolution":8,"width_1":1,"width_2":1}"#),
    ("smallest", #"{"depth_1":1,"depth_2":1,"kernel_1_1":3,"kernel_1_2":3,"kernel_1_3":3,"kernel_2_1":3,"kernel_2_2":3,"kernel_2_3":3,"resolution":6,"width_1":0.5,"width_2":0.5}"#),
    ("mid-sized", #"{"depth_1":2,"depth_2":2,"kernel_1_1":3,"kernel_1_2":5,"kernel_1_3":3,"kernel_2_1":3,"kernel_2_2":5,"kernel_2_3":3,"resolution":8,"width_1":0.75,"width_2":0.75}"#),
]

/// Supernet-v1: 20 epochs of sandwich training (wall time), one evaluation of the largest and the smallest
/// subnet through the environment (accuracy on the 360 held-out digits and the latency timing), and the
/// README's table: every sampler trained for 20 epochs (training seed 0), each subnet of the table evaluated.
func benchSupernet() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gym-bench-supernet-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let designs = try supernetTableDesigns.map { try Design.parse(json: $0.json) }
    var rows: [String] = []
    for sampler in SupernetSampler.allCases {
        let environment = try SupernetEnvironment(options: EnvironmentOptions(values: ["sampler": sampler.rawValue, "cache_dir": folder.path]))
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try environment.trained()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("supernet: 20 epochs of training, \(sampler.rawValue)".padding(toLength: 48, withPad: " ", startingAt: 0)
              + String(format: "%12.1f s (1,437 images, batches of 32)", seconds))
        var accuracies: [String] = []
        for (design, (name, _)) in zip(designs, supernetTableDesigns) {
            let evaluationStart = DispatchTime.now().uptimeNanoseconds
            let evaluation = try environment.evaluate(design)
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - evaluationStart) / 1e6
            if sampler == .sandwich && name != "mid-sized" {
                print("supernet: evaluate the \(name) subnet".padding(toLength: 48, withPad: " ", startingAt: 0)
                      + String(format: "%12.1f ms (360 images and 16 timed passes)", milliseconds))
            }
            accuracies.append(String(format: "%.1f %%", evaluation.metrics["accuracy"]!))
        }
        rows.append("| `\(sampler.rawValue)` | " + accuracies.joined(separator: " | ") + " |")
    }
    print("\nHeld-out accuracy after 20 epochs (training seed 0):\n")
    print("| sampler | " + supernetTableDesigns.map(\.name).joined(separator: " | ") + " |")
    print("|---|" + String(repeating: "---|", count: supernetTableDesigns.count))
    for row in rows { print(row) }
    print("\nThe subnets:")
    for (name, json) in supernetTableDesigns { print("  \(name): \(json)") }
    try benchRS2()
}

/// RS2 at equal training time: sandwich training on the whole set for 10 epochs, on half for 20 and a quarter
/// for 40 (the same number of steps), the largest and smallest subnets' held-out accuracy after every epoch;
/// training seconds (evaluations left out) to reach 97 % with the largest, and at the end.
func benchRS2() throws {
    let digits = try Digits.bundled()
    let split = digits.split(testCount: 360, seed: 1)
    let images = split.train.map { digits.images[$0] }, labels = split.train.map { digits.labels[$0] }
    let testImages = split.test.map { digits.images[$0] }, testLabels = split.test.map { digits.labels[$0] }
    print("\nRS2 at equal training time (sandwich, training seed 0, steps of 32 images):\n")
    print("| subset | sampling | epochs | training | largest reaches 97 % after | largest | smallest |")
    print("|---|---|---|---|---|---|---|")
    for (fraction, epochs, sampling) in [(1.0, 10, SupernetTrainer.SubsetSampling.without), (0.5, 20, .without), (0.25, 40, .without), (0.25, 40, .with)] {
        let trainer = SupernetTrainer(sampler: .sandwich, epochs: epochs, subsetFraction: fraction, subsetSampling: sampling)
        var evaluating = 0.0
        var reached: Double?
        var last = (largest: 0.0, smallest: 0.0)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try trainer.train(images: images, labels: labels, seed: 0, afterEpoch: { _, model in
            let evaluationStart = DispatchTime.now().uptimeNanoseconds
            last = (model.accuracy(.largest, images: testImages, labels: testLabels), model.accuracy(.smallest, images: testImages, labels: testLabels))
            let now = DispatchTime.now().uptimeNanoseconds
            evaluating += Double(now - evaluationStart) / 1e9
            if reached == nil, last.largest >= 0.97 { reached = Double(evaluationStart - start) / 1e9 - (evaluating - Double(now - evaluationStart) / 1e9) }
        })
        let training = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - evaluating
        print(String(format: "| %.2f | %@ | %d | %.1f s | %@ | %.1f %% | %.1f %% |", fraction, fraction < 1 ? sampling.rawValue : "–", epochs, training,
                     reached.map { String(format: "%.1f s", $0) } ?? "not reached", 100 * last.largest, 100 * last.smallest))
    }
}
