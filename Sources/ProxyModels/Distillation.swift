import Dispatch
import GymCore

/// Distillation (Hinton et al. 2015; for trees, Buciluǎ et al. 2006): an accurate but slow model — the
/// teacher — labels many designs drawn at random from the space, and a fast model — the student — learns
/// from those labels together with the real measurements. The student can be far smaller than the teacher
/// because it no longer has to infer the function from a few thousand noisy-looking samples: the teacher
/// shows it the function everywhere.
public enum Distillation {
    /// What a distilled proxy records about its teacher.
    public struct Record: Sendable, Codable, Equatable {
        public var teacher: Regressor.Kind
        public var teacherHyperparameters: [String: String]
        /// Random designs the teacher labelled.
        public var designs: Int
        /// The teacher's own scores on the held-out designs, by metric.
        public var teacherValidation: [String: Scores]

        public init(teacher: Regressor.Kind, teacherHyperparameters: [String: String], designs: Int, teacherValidation: [String: Scores]) {
            self.teacher = teacher
            self.teacherHyperparameters = teacherHyperparameters
            self.designs = designs
            self.teacherValidation = teacherValidation
        }
    }

    /// `count` designs drawn uniformly from `space` with `seed`, encoded as unit vectors.
    public static func designs(_ count: Int, space: ParameterSpace, seed: UInt64) -> [[Double]] {
        var generator = SeededGenerator(seed: Seeds.derive(seed, "distillation designs"))
        return (0..<count).map { _ in space.unitVector(space.sample(using: &generator)) }
    }

    /// The teacher's predictions of `rows`, computed in parallel.
    public static func label(_ rows: [[Double]], with teacher: Regressor) -> [Double] {
        let chunk = 4096
        let chunks = (rows.count + chunk - 1) / chunk
        let labels = Slots<[Double]>(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            labels.set(index, teacher.predict(batch: Array(rows[(index * chunk)..<min(rows.count, (index + 1) * chunk)])))
        }
        return labels.values.flatMap { $0! }
    }

    /// A student with `settings`, trained on the teacher's labels of `synthetic` designs and on the real
    /// rows `x`, `y`.
    public static func student(_ settings: Regressor.Settings, teacher: Regressor, synthetic: [[Double]],
                               x: [[Double]], y: [Double], seed: UInt64) throws -> Regressor {
        try Regressor.train(settings, x: synthetic + x, y: label(synthetic, with: teacher) + y, seed: seed)
    }
}
