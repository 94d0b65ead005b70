import Foundation
import GymCatalog
import GymCore
import Testing
import GymTestSupport
@testable import ProxyModels

@Suite struct ProxyModelsTests {
    @Test func aTreeRecoversAStepFunctionExactly() {
        // y = 1 below 0.3, 5 up to 0.7, 2 above, on 60 points; the second feature is noise the tree must ignore.
        func step(_ x: Double) -> Double { x < 0.3 ? 1 : (x < 0.7 ? 5 : 2) }
        var generator = SeededGenerator(seed: 1)
        let x = (0..<60).map { [Double($0) / 59, generator.nextUnit()] }
        let y = x.map { step($0[0]) }
        let tree = RegressionTree(x: x, y: y, using: &generator)
        for point in [0.0, 0.1, 0.25, 0.35, 0.5, 0.65, 0.75, 0.9, 1.0] {
            #expect(tree.predict([point, 0.5]) == step(point))
        }
        // Two splits make three leaves: 5 nodes.
        #expect(tree.nodeCount == 5)
    }

    @Test func anUnlimitedTreeFitsItsTrainingRowsAndALimitedOneDoesNot() {
        var generator = SeededGenerator(seed: 2)
        let x = (0..<40).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let y = x.map { sin(7 * $0[0]) + $0[1] * $0[1] }
        let full = RegressionTree(x: x, y: y, using: &generator)
        #expect(zip(x, y).allSatisfy { full.predict($0) == $1 })
        let stump = RegressionTree(x: x, y: y, settings: .init(maximumDepth: 1), using: &generator)
        #expect(stump.nodeCount == 3)
        #expect(Set(x.map(stump.predict)).count == 2)
    }

    @Test func compiledTreesPredictExactlyAsTheTreesTheyCameFrom() throws {
        // Eleven trees of different depths (one a single leaf): eight are walked in step, three alone.
        var generator = SeededGenerator(seed: 5)
        let x = (0..<80).map { _ in [generator.nextUnit(), generator.nextUnit(), generator.nextUnit()] }
        let y = x.map { 3 * $0[0] - $0[1] * $0[2] + ($0[2] > 0.5 ? 1 : 0) }
        let trees = (0..<11).map { index in
            RegressionTree(x: x, y: index == 0 ? y.map { _ in 2.5 } : y, rows: (0..<80).map { _ in generator.nextInt(below: 80) },
                           settings: .init(maximumDepth: index), using: &generator)
        }
        #expect(trees[0].nodeCount == 1)
        let single = TreeEnsemble([trees[5]], offset: 0, scale: 1)
        let ensemble = TreeEnsemble(trees, offset: 0.5, scale: 0.25)
        #expect(ensemble.treeCount == 11 && ensemble.nodeCount == trees.map(\.nodeCount).reduce(0, +))
        for _ in 0..<200 {
            let point = [generator.nextUnit(), generator.nextUnit(), generator.nextUnit()]
            #expect(single.predict(point) == trees[5].predict(point))
            let expected = 0.5 + 0.25 * trees.map { $0.predict(point) }.reduce(0, +)
            #expect(abs(ensemble.predict(point) - expected) <= 1e-12 * max(1, abs(expected)))
        }
        // The saved form decodes to the same ensemble; a corrupted one is refused.
        let data = try JSONEncoder().encode(ensemble)
        #expect(try JSONDecoder().decode(TreeEnsemble.self, from: data) == ensemble)
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["first"] = (object["first"] as! [Int]).map { _ in 1_000_000 }
        #expect(throws: ProxyError.self) { try JSONDecoder().decode(TreeEnsemble.self, from: try JSONSerialization.data(withJSONObject: object)) }
    }

    @Test func baggedBoostingIsTheMeanOfBoostersFromDerivedSeeds() throws {
        var generator = SeededGenerator(seed: 6)
        let x = (0..<120).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let y = x.map { sin(5 * $0[0]) + $0[1] }
        var settings = GradientBoosting.Settings(rounds: 30, learningRate: 0.2, subsample: 0.6, tree: .init(maximumDepth: 3))
        let one = try GradientBoosting(x: x, y: y, settings: settings, seed: 9)
        let other = try GradientBoosting(x: x, y: y, settings: settings, seed: Seeds.derive(9, "bag 1"))
        settings.bags = 2
        let bagged = try GradientBoosting(x: x, y: y, settings: settings, seed: 9)
        #expect(bagged.ensemble.treeCount == 60)
        #expect(try GradientBoosting(x: x, y: y, settings: settings, seed: 9) == bagged)
        for point in x.prefix(20) {
            let mean = (one.predict(point) + other.predict(point)) / 2
            #expect(abs(bagged.predict(point) - mean) < 1e-12)
        }
    }

    @Test func hyperparametersAreNamedCheckedAndApplied() throws {
        let settings = try Regressor.settings(.forest, hyperparameters: ["trees": "7", "features_per_split": "2", "bootstrap": "false"])
        guard case .forest(let forest) = settings else { Issue.record("not a forest"); return }
        #expect(forest.trees == 7 && forest.tree.featuresPerSplit == 2 && !forest.bootstrap)
        #expect(forest.tree.maximumDepth == RandomForest.Settings().tree.maximumDepth)
        guard case .mlp(let mlp) = try Regressor.settings(.mlp, hyperparameters: ["hidden": "16, 8"]) else { return }
        #expect(mlp.hidden == [16, 8])
        let x = (0..<30).map { [Double($0) / 29] }
        guard case .forest(let trained) = try Regressor.train(settings, x: x, y: x.map { $0[0] }, seed: 1) else { return }
        #expect(trained.ensemble.treeCount == 7)
        #expect(throws: ProxyError.invalidSetting("gp has no hyperparameter 'trees'; it has: max_rows")) {
            try Regressor.settings(.gp, hyperparameters: ["trees": "3"])
        }
        #expect(throws: ProxyError.invalidSetting("trees must be an integer ≥ 1, not '0'")) {
            try Regressor.settings(.forest, hyperparameters: ["trees": "0"])
        }
        #expect(throws: ProxyError.invalidSetting("hidden must be comma-separated layer widths ≥ 1, such as 64,64, not '8,x'")) {
            try Regressor.settings(.mlp, hyperparameters: ["hidden": "8,x"])
        }
        // Every documented default reads back as the default settings.
        for kind in Regressor.Kind.allCases {
            let defaults = Dictionary(uniqueKeysWithValues: Regressor.hyperparameters(of: kind).map { ($0.name, $0.defaultValue) })
            #expect(try Regressor.settings(kind, hyperparameters: defaults) == Regressor.settings(kind, hyperparameters: [:]))
        }
    }

    @Test func aForestBeatsTheMeanByAWideMarginOnNoisyData() throws {
        // y = sin(2π x1) + x2² + N(0, 0.1²), 600 training rows, 300 fresh test rows.
        var generator = SeededGenerator(seed: 3)
        func sample(_ count: Int) -> ([[Double]], [Double], [Double]) {
            let x = (0..<count).map { _ in [generator.nextUnit(), generator.nextUnit(), generator.nextUnit()] }
            let clean = x.map { sin(2 * Double.pi * $0[0]) + $0[1] * $0[1] }
            return (x, clean.map { $0 + 0.1 * generator.nextGaussian() }, clean)
        }
        let (x, y, _) = sample(600)
        let (testX, _, testClean) = sample(300)
        let forest = try RandomForest(x: x, y: y, settings: .init(trees: 60), seed: 4)
        let scores = Scores(predicted: testX.map(forest.predict), truth: testClean)
        let mean = y.reduce(0, +) / Double(y.count)
        let baseline = Scores(predicted: testX.map { _ in mean }, truth: testClean)
        #expect(scores.r2 > 0.9, "R² \(scores.r2)")
        #expect(scores.rmse < baseline.rmse / 3, "RMSE \(scores.rmse) against the mean's \(baseline.rmse)")
        #expect(scores.kendallTau > 0.8)
    }

    @Test func aGaussianProcessInterpolatesItsTrainingPoints() throws {
        var generator = SeededGenerator(seed: 13)
        let x = (0..<40).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let y = x.map { sin(3 * $0[0]) * cos(2 * $0[1]) + 4 }
        let gp = try GaussianProcessRegression(x: x, y: y, settings: .init(noises: [1e-8]), seed: 1)
        for (row, value) in zip(x, y) { #expect(abs(gp.predict(row) - value) < 1e-4) }
        // A smooth function is predicted well between the points too.
        let fresh = (0..<100).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let scores = Scores(predicted: fresh.map(gp.predict), truth: fresh.map { sin(3 * $0[0]) * cos(2 * $0[1]) + 4 })
        #expect(scores.r2 > 0.99, "\(scores)")
    }

    @Test func anMLPLearnsASmoothFunctionAndIsDeterministic() throws {
        // y = x1 − 2·x2² + 0.5·sin(3·x1) on 300 points; R² on 200 fresh points must exceed 0.97.
        var generator = SeededGenerator(seed: 14)
        func f(_ p: [Double]) -> Double { p[0] - 2 * p[1] * p[1] + 0.5 * sin(3 * p[0]) }
        let x = (0..<300).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let settings = MultilayerPerceptron.Settings(hidden: [32, 32], epochs: 150)
        let mlp = try MultilayerPerceptron(x: x, y: x.map(f), settings: settings, seed: 2)
        let fresh = (0..<200).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let scores = Scores(predicted: fresh.map(mlp.predict), truth: fresh.map(f))
        #expect(scores.r2 > 0.97, "\(scores)")
        #expect(try MultilayerPerceptron(x: x, y: x.map(f), settings: settings, seed: 2) == mlp)
    }

    @Test func aForestIsDeterministicForASeed() throws {
        var generator = SeededGenerator(seed: 5)
        let x = (0..<100).map { _ in [generator.nextUnit(), generator.nextUnit()] }
        let y = x.map { $0[0] * 3 - $0[1] }
        let a = try RandomForest(x: x, y: y, settings: .init(trees: 10), seed: 9)
        let b = try RandomForest(x: x, y: y, settings: .init(trees: 10), seed: 9)
        let c = try RandomForest(x: x, y: y, settings: .init(trees: 10), seed: 10)
        #expect(a == b)
        #expect(a != c)
        // It survives a JSON round trip unchanged (the saved-proxy format will rely on it).
        let decoded = try JSONDecoder().decode(RandomForest.self, from: try JSONEncoder().encode(a))
        #expect(x.map(decoded.predict) == x.map(a.predict))
        #expect(throws: ProxyError.self) { try RandomForest(x: x, y: y, settings: .init(trees: 0), seed: 1) }
    }

    @Test func scoresByHand() {
        // Predictions [1, 2, 5] for truth [1, 2, 3]: RMSE = √(4/3) = 1.1547; range 2, so normalised 0.57735;
        // MAPE = (0 + 0 + 2/3) / 3 = 0.2222; R² = 1 − 4/2 = −1; τ = 1 (same order).
        let s = Scores(predicted: [1, 2, 5], truth: [1, 2, 3])
        #expect(abs(s.rmse - (4.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(s.normalizedRMSE - (4.0 / 3).squareRoot() / 2) < 1e-12)
        #expect(abs(s.mape - 2.0 / 9) < 1e-12)
        #expect(abs(s.r2 - (-1)) < 1e-12)
        #expect(s.kendallTau == 1)
        #expect(Scores.kendallTau([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        // One swapped pair of six: (5 − 1) / 6.
        #expect(abs(Scores.kendallTau([1, 2, 3, 4], [1, 2, 4, 3]) - 4.0 / 6) < 1e-12)
    }

    @Test func splitsCoverEveryRowOnce() {
        let folds = Split.kFold(count: 23, folds: 5, seed: 1)
        #expect(folds.count == 5)
        #expect(folds.flatMap(\.test).sorted() == Array(0..<23))
        for fold in folds { #expect(Set(fold.train).isDisjoint(with: fold.test) && fold.train.count + fold.test.count == 23) }
        let (train, test) = Split.holdOut(count: 100, testFraction: 0.2, seed: 2)
        #expect(test.count == 20 && Set(train + test).count == 100)
        #expect(Split.holdOut(count: 100, testFraction: 0.2, seed: 2).test == test)
    }

    @Test func aForestProxyOfBraninFromThreeHundredTrials() throws {
        // 300 random designs of Branin-v0, each also logged twice more (a cached copy and a repeat), as
        // a store would hold them: the dataset keeps each design once.
        let environment = try Catalog.registry.makeEnvironment("Branin-v0")
        let space = environment.spec.space
        var generator = SeededGenerator(seed: 6)
        var trials: [Trial] = []
        for number in 0..<300 {
            let design = space.sample(using: &generator)
            let evaluation = environment.measure(design)
            let trial = Trial(number: number, design: design, evaluation: evaluation, reward: nil, worker: "test")
            trials.append(trial)
            var cached = trial
            cached.cached = true
            trials.append(cached)
            if number % 10 == 0 { trials.append(trial) }
        }
        trials.append(Trial(number: 999, design: space.defaultDesign, evaluation: .unsuccessful(.failed, message: "x"), reward: nil, worker: "test"))
        let data = try Dataset(trials: trials, space: space, metrics: ["value"])
        #expect(data.count == 300)
        let (train, test) = Split.holdOut(count: data.count, testFraction: 0.25, seed: 7)
        let trainSet = data.subset(train), testSet = data.subset(test)
        let forest = try RandomForest(x: trainSet.features, y: trainSet.targets["value"]!, seed: 8)
        let scores = Scores(predicted: testSet.features.map(forest.predict), truth: testSet.targets["value"]!)
        // The stated accuracy: R² above 0.9 and a rank correlation above 0.75 on designs it never saw.
        #expect(scores.r2 > 0.9, "\(scores)")
        #expect(scores.kendallTau > 0.75, "\(scores)")
    }
}

@Suite struct ProxyFileTests {
    static func braninProxy(_ path: String, kind: Regressor.Kind = .forest) throws -> ProxyFile {
        let environment = try Catalog.registry.makeEnvironment("Branin-v0")
        var generator = SeededGenerator(seed: 11)
        let trials = (0..<200).map { number in
            let design = environment.spec.space.sample(using: &generator)
            return Trial(number: number, design: design, evaluation: environment.measure(design), reward: nil)
        }
        let data = try Dataset(trials: trials, space: environment.spec.space, metrics: ["value"])
        let model = try Regressor.train(kind, x: data.features, y: data.targets["value"]!, seed: 3)
        let file = ProxyFile(environment: environment.spec, options: [:], kind: kind, logTargets: false, models: ["value": model],
                             trainingRows: data.count, experiments: [1], agents: ["random"], validation: [:], seed: 3)
        try file.save(to: path)
        return file
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: Regressor.Kind.allCases)
    func savedAndLoadedProxiesPredictIdentically(_ kind: Regressor.Kind) throws {
        let path = Self.temporaryPath("b.json")
        let file = try Self.braninProxy(path, kind: kind)
        let loaded = try ProxyFile.load(path)
        #expect(loaded == file)
        var generator = SeededGenerator(seed: 12)
        let space = file.spec.space
        for _ in 0..<50 {
            let features = space.unitVector(space.sample(using: &generator))
            #expect(loaded.predict(features) == file.predict(features))
        }
    }

    @Test func aProxyOfAnotherEnvironmentVersionIsRefused() throws {
        let path = Self.temporaryPath("old.json")
        var file = try Self.braninProxy(path)
        file.environment = "Branin-v7"
        try file.save(to: path)
        let current = try Catalog.registry.makeEnvironment("Branin-v0").spec
        do {
            _ = try ProxyFile.load(path, current: current)
            Issue.record("an old proxy was accepted")
        } catch let error as ProxyError {
            #expect(error.description.contains("trained on Branin-v7, but the environment is now Branin-v0"))
        }
        try "{}".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ProxyError.self) { try ProxyFile.load(path) }
        // A file of another format is refused by name, before its models are read.
        try #"{"format": 1, "models": {"value": {"forest": {"trees": []}}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ProxyError.invalidFile("\(path) has proxy format 1; this DesignGym reads format 2: train the proxy again")) {
            try ProxyFile.load(path)
        }
    }

    @Test func aProxyIsAnEnvironmentThatPassesConformance() throws {
        let path = Self.temporaryPath("c.json")
        _ = try Self.braninProxy(path)
        let entry = try Catalog.registry.environment(ProxyEnvironment.prefix + path)
        let issues = EnvironmentConformance.check(entry)
        #expect(issues.isEmpty, "\(issues.map(\.description).joined(separator: "\n"))")
        let proxy = try entry.make(EnvironmentOptions())
        let evaluation = proxy.measure(proxy.spec.space.defaultDesign)
        #expect(evaluation.details["predicted"] == .bool(true))
        #expect(proxy.spec.workload.hasPrefix("default@"))
    }
}
