import Dispatch
import Foundation
import GymCore
import Supernet

/// Supernet training time per epoch (sandwich rule: four subnets per batch) and the evaluation of one
/// subnet on the 360 held-out digits.
func benchSupernet() throws {
    let digits = try Digits.bundled()
    let split = digits.split(testCount: 360, seed: 1)
    let images = split.train.map { digits.images[$0] }, labels = split.train.map { digits.labels[$0] }
    var start = DispatchTime.now().uptimeNanoseconds
    let model = try SupernetTrainer(sampler: .sandwich, epochs: 1).train(images: images, labels: labels, seed: 1)
    let epoch = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print("supernet: training, sandwich rule".padding(toLength: 48, withPad: " ", startingAt: 0)
          + String(format: "%12.2f s per epoch (1,437 images, batches of 64)", epoch))
    let testImages = split.test.map { digits.images[$0] }, testLabels = split.test.map { digits.labels[$0] }
    for (name, subnet) in [("largest", Subnet.largest), ("smallest", Subnet.smallest)] {
        start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<5 { _ = model.accuracy(subnet, images: testImages, labels: testLabels) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / 5
        print("supernet: evaluate the \(name) subnet".padding(toLength: 48, withPad: " ", startingAt: 0)
              + String(format: "%12.1f ms on 360 images", seconds * 1e3))
    }
}
