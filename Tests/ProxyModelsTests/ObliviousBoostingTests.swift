import Foundation
import GymCatalog
import GymCore
import Testing
@testable import ProxyModels

@Suite struct ObliviousBoostingTests {
    @Test func oneObliviousStumpRecoversAStepExactly() throws {
        // y = 1 for x ≤ 0.4 and 3 for x ≥ 0.6, at x = 0, 0.2, …, 1. Borders sit halfway between neighbouring
        // values: 0.1, 0.3, 0.5, 0.7, 0.9. The base is the mean, 2; residuals −1, −1, −1, +1, +1, +1; the
        // best test is x > 0.5; with learning rate 1 and no penalty the leaves are the residual means, −1
        // and +1, so the model is exactly the step.
        let x = (0...5).map { [Double($0) / 5] }
        let y: [Double] = [1, 1, 1, 3, 3, 3]
        let model = try ObliviousBoosting(x: x, y: y, settings: .init(rounds: 1, learningRate: 1, depth: 1, subsample: 1, l2: 0), seed: 1)
        #expect(zip(model.borders[0], [0.1, 0.3, 0.5, 0.7, 0.9]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(model.base == 2 && model.splitFeatures == [0] && model.splitBins == [2] && model.leaves == [-1, 1])
        for point in [0.0, 0.45, 0.5] { #expect(model.predict([point]) == 1) }
        for point in [0.55, 1.0, 7.0] { #expect(model.predict([point]) == 3) }
    }

    @Test func boostingLearnsASmoothFunctionDeterministicallyAndBagsAverage() throws {
        var generator = SeededGenerator(seed: 3)
        let x = (0..<400).map { _ in [generator.nextUnit(), generator.nextUnit(), generator.nextUnit()] }
        // The third feature is noise the model must learn to ignore.
        let y = x.map { sin(6 * $0[0]) + 2 * $0[1] * $0[1] }
        var settings = ObliviousBoosting.Settings(rounds: 200, learningRate: 0.1, depth: 5, subsample: 0.8)
        let model = try ObliviousBoosting(x: x, y: y, settings: settings, seed: 4)
        #expect(try ObliviousBoosting(x: x, y: y, settings: settings, seed: 4) == model)
        let fresh = (0..<200).map { _ in [generator.nextUnit(), generator.nextUnit(), generator.nextUnit()] }
        let truth = fresh.map { sin(6 * $0[0]) + 2 * $0[1] * $0[1] }
        let scores = Scores(predicted: fresh.map(model.predict), truth: truth)
        // The function spans about 3; the mean predictor's R² is 0, a fair fit's is far above 0.95.
        #expect(scores.r2 > 0.97, "\(scores)")
        // The three ways to predict — per-feature rows, each tree's tests, blocks of designs — agree.
        let byRows = fresh.map(model.predictByFeatureRows)
        #expect(zip(byRows, fresh.map(model.predictByTests)).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(byRows, model.predictInBlocks(fresh)).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(byRows, model.predict(batch: fresh)).allSatisfy { abs($0 - $1) < 1e-9 })
        // Two bags: the mean of the boosters grown from the seed and from its derived seed.
        let other = try ObliviousBoosting(x: x, y: y, settings: settings, seed: Seeds.derive(4, "bag 1"))
        settings.bags = 2
        let bagged = try ObliviousBoosting(x: x, y: y, settings: settings, seed: 4)
        #expect(bagged.trees == 400)
        for point in fresh.prefix(20) {
            #expect(abs(bagged.predict(point) - (model.predict(point) + other.predict(point)) / 2) < 1e-5)
        }
    }

    @Test func obliviousHyperparametersAreChecked() throws {
        guard case .oblivious(let settings) = try Regressor.settings(.oblivious, hyperparameters: ["depth": "10", "l2": "0", "bags": "3"]) else {
            Issue.record("not oblivious")
            return
        }
        #expect(settings.depth == 10 && settings.l2 == 0 && settings.bags == 3)
        #expect(throws: ProxyError.invalidSetting("depth must be an integer from 1 to 16, not '17'")) {
            try Regressor.settings(.oblivious, hyperparameters: ["depth": "17"])
        }
        #expect(throws: ProxyError.invalidSetting("l2 must be a number ≥ 0, not '-1'")) {
            try Regressor.settings(.oblivious, hyperparameters: ["l2": "-1"])
        }
    }

    @Test func aDistilledStudentKeepsItsTeachersAccuracy() throws {
        // A teacher trained on 300 Branin designs labels 20,000 random designs; a smaller student learns
        // from them. The student should agree with the teacher closely and be about as accurate on designs
        // neither saw.
        let environment = try Catalog.registry.makeEnvironment("Branin-v0")
        let space = environment.spec.space
        var generator = SeededGenerator(seed: 9)
        let trials = (0..<300).map { number in
            let design = space.sample(using: &generator)
            return Trial(number: number, design: design, evaluation: environment.measure(design), reward: nil)
        }
        let data = try Dataset(trials: trials, space: space, metrics: ["value"])
        let teacher = try Regressor.train(.oblivious(.init(rounds: 600, learningRate: 0.05, depth: 6)), x: data.features, y: data.targets["value"]!, seed: 1)
        let synthetic = Distillation.designs(20000, space: space, seed: 2)
        #expect(synthetic == Distillation.designs(20000, space: space, seed: 2))
        let studentSettings = Regressor.Settings.oblivious(.init(rounds: 80, learningRate: 0.3, depth: 8))
        let student = try Distillation.student(studentSettings, teacher: teacher, synthetic: synthetic, x: data.features, y: data.targets["value"]!, seed: 3)
        let fresh = (0..<300).map { _ in space.sample(using: &generator) }
        let encoded = fresh.map(space.unitVector)
        let truth = try fresh.map { try environment.evaluate($0).metrics["value"]! }
        let teacherScores = Scores(predicted: encoded.map(teacher.predict), truth: truth)
        let studentScores = Scores(predicted: encoded.map(student.predict), truth: truth)
        let agreement = Scores(predicted: encoded.map(student.predict), truth: encoded.map(teacher.predict))
        #expect(agreement.normalizedRMSE < 0.02, "student against teacher: \(agreement)")
        #expect(studentScores.normalizedRMSE < teacherScores.normalizedRMSE * 1.15 + 0.002, "teacher \(teacherScores), student \(studentScores)")
        // The student is the smaller model: 80 trees against 600.
        guard case .oblivious(let small) = student, case .oblivious(let large) = teacher else { Issue.record("not oblivious"); return }
        #expect(small.trees == 80 && large.trees == 600)
    }
}
