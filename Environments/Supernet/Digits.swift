import Foundation
import GymCore

/// The UCI optical handwritten digits (E. Alpaydin, C. Kaynak; as bundled with scikit-learn): 1,797
/// images of 8×8 pixels valued 0–16, ten classes. Pixels are scaled to 0…1.
public struct Digits: Sendable {
    /// Row-major 8×8 images, one per sample.
    public let images: [[Double]]
    public let labels: [Int]

    public var count: Int { labels.count }

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The bundled data set, read once per process.
    public static func bundled() throws -> Digits {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let digits = cache.digits { return digits }
        let url = Bundle.module.bundleURL.appendingPathComponent("Resources/digits.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Missing(description: "the bundled digits data set is missing from the installation")
        }
        let digits = try parse(text)
        cache.digits = digits
        return digits
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var digits: Digits?
    }

    private static let cache = Cache()

    /// Parses rows of 64 pixel values and a label.
    public static func parse(_ text: String) throws -> Digits {
        var images: [[Double]] = []
        var labels: [Int] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard fields.count == 65, fields.allSatisfy({ $0 != nil }), (0...9).contains(fields[64]!),
                  fields.prefix(64).allSatisfy({ (0...16).contains($0!) }) else {
                throw Missing(description: "digits.csv line \(number + 1) is not 64 pixels of 0–16 and a label 0–9")
            }
            images.append(fields.prefix(64).map { Double($0!) / 16 })
            labels.append(fields[64]!)
        }
        return Digits(images: images, labels: labels)
    }

    /// A seeded split: `testCount` samples held out, the rest for training.
    public func split(testCount: Int, seed: UInt64) -> (train: [Int], test: [Int]) {
        var order = Array(0..<count)
        var generator = SeededGenerator(seed: seed)
        generator.shuffleUpward(&order)
        return (Array(order.dropFirst(testCount)), Array(order.prefix(testCount)))
    }
}
