import Foundation

/// The hyperparameters of each model kind by name, as `gym proxy train -H name=value` sets them.
extension Regressor {
    /// One hyperparameter: its name, default and meaning.
    public struct Hyperparameter: Sendable, Equatable {
        public let name: String
        public let defaultValue: String
        public let help: String
    }

    /// The hyperparameters `kind` accepts, with their defaults.
    public static func hyperparameters(of kind: Kind) -> [Hyperparameter] {
        switch kind {
        case .forest:
            let forest = RandomForest.Settings()
            return [
                .init(name: "trees", defaultValue: String(forest.trees), help: "trees in the forest"),
                .init(name: "max_depth", defaultValue: String(forest.tree.maximumDepth), help: "deepest level of a tree (root 0)"),
                .init(name: "min_leaf", defaultValue: String(forest.tree.minimumLeafSize), help: "fewest rows in a leaf"),
                .init(name: "features_per_split", defaultValue: forest.tree.featuresPerSplit.map(String.init) ?? "all",
                      help: "features tried at each split: all, or a random subset of this size"),
                .init(name: "bootstrap", defaultValue: String(forest.bootstrap), help: "each tree on a bootstrap sample (true) or on every row"),
            ]
        case .boosted:
            let boosted = GradientBoosting.Settings()
            return [
                .init(name: "rounds", defaultValue: String(boosted.rounds), help: "trees fitted one after another"),
                .init(name: "learning_rate", defaultValue: formatted(boosted.learningRate), help: "shrinkage of each tree, in (0, 1]"),
                .init(name: "subsample", defaultValue: formatted(boosted.subsample), help: "fraction of the rows each tree sees, in (0, 1]"),
                .init(name: "max_depth", defaultValue: String(boosted.tree.maximumDepth), help: "deepest level of a tree (root 0)"),
                .init(name: "min_leaf", defaultValue: String(boosted.tree.minimumLeafSize), help: "fewest rows in a leaf"),
                .init(name: "bags", defaultValue: String(boosted.bags), help: "boosted ensembles from different seeds, averaged"),
            ]
        case .oblivious:
            let oblivious = ObliviousBoosting.Settings()
            return [
                .init(name: "rounds", defaultValue: String(oblivious.rounds), help: "trees fitted one after another"),
                .init(name: "learning_rate", defaultValue: formatted(oblivious.learningRate), help: "shrinkage of each tree, in (0, 1]"),
                .init(name: "depth", defaultValue: String(oblivious.depth), help: "tests per tree (2^depth leaves), 1…16"),
                .init(name: "subsample", defaultValue: formatted(oblivious.subsample), help: "chance that a row takes part in each tree, in (0, 1]"),
                .init(name: "l2", defaultValue: formatted(oblivious.l2), help: "L2 penalty on leaf values (rows added to each leaf's denominator)"),
                .init(name: "max_borders", defaultValue: String(oblivious.maximumBorders), help: "most bin borders per feature, 1…255"),
                .init(name: "bags", defaultValue: String(oblivious.bags), help: "boosted sequences from different seeds, averaged"),
            ]
        case .gp:
            let gp = GaussianProcessRegression.Settings()
            return [
                .init(name: "max_rows", defaultValue: String(gp.maximumRows), help: "rows used at most (training costs rows³; a seeded subset beyond)"),
            ]
        case .mlp:
            let mlp = MultilayerPerceptron.Settings()
            return [
                .init(name: "hidden", defaultValue: mlp.hidden.map(String.init).joined(separator: ","), help: "hidden layer widths, comma-separated"),
                .init(name: "epochs", defaultValue: String(mlp.epochs), help: "passes over the training rows"),
                .init(name: "batch_size", defaultValue: String(mlp.batchSize), help: "rows per Adam step"),
                .init(name: "learning_rate", defaultValue: formatted(mlp.learningRate), help: "Adam's step size"),
            ]
        }
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// A model kind with all its settings.
    public enum Settings: Sendable, Equatable {
        case forest(RandomForest.Settings)
        case boosted(GradientBoosting.Settings)
        case gp(GaussianProcessRegression.Settings)
        case mlp(MultilayerPerceptron.Settings)
        case oblivious(ObliviousBoosting.Settings)
    }

    /// The settings of `kind` with the hyperparameters `values` (name → value as text; the rest keep
    /// their defaults). An unknown name or a value out of range is an `invalidSetting` error.
    public static func settings(_ kind: Kind, hyperparameters values: [String: String]) throws -> Settings {
        let reader = try HyperparameterReader(kind: kind, values: values)
        switch kind {
        case .forest:
            var settings = RandomForest.Settings()
            settings.trees = try reader.integer("trees", settings.trees, atLeast: 1)
            settings.tree.maximumDepth = try reader.integer("max_depth", settings.tree.maximumDepth, atLeast: 0)
            settings.tree.minimumLeafSize = try reader.integer("min_leaf", settings.tree.minimumLeafSize, atLeast: 1)
            settings.tree.featuresPerSplit = try reader.integerOrAll("features_per_split", settings.tree.featuresPerSplit)
            settings.bootstrap = try reader.boolean("bootstrap", settings.bootstrap)
            return .forest(settings)
        case .boosted:
            var settings = GradientBoosting.Settings()
            settings.rounds = try reader.integer("rounds", settings.rounds, atLeast: 1)
            settings.learningRate = try reader.fraction("learning_rate", settings.learningRate)
            settings.subsample = try reader.fraction("subsample", settings.subsample)
            settings.tree.maximumDepth = try reader.integer("max_depth", settings.tree.maximumDepth, atLeast: 0)
            settings.tree.minimumLeafSize = try reader.integer("min_leaf", settings.tree.minimumLeafSize, atLeast: 1)
            settings.bags = try reader.integer("bags", settings.bags, atLeast: 1)
            return .boosted(settings)
        case .oblivious:
            var settings = ObliviousBoosting.Settings()
            settings.rounds = try reader.integer("rounds", settings.rounds, atLeast: 1)
            settings.learningRate = try reader.fraction("learning_rate", settings.learningRate)
            settings.depth = try reader.integer("depth", settings.depth, atLeast: 1, atMost: 16)
            settings.subsample = try reader.fraction("subsample", settings.subsample)
            settings.l2 = try reader.nonNegative("l2", settings.l2)
            settings.maximumBorders = try reader.integer("max_borders", settings.maximumBorders, atLeast: 1, atMost: 255)
            settings.bags = try reader.integer("bags", settings.bags, atLeast: 1)
            return .oblivious(settings)
        case .gp:
            var settings = GaussianProcessRegression.Settings()
            settings.maximumRows = try reader.integer("max_rows", settings.maximumRows, atLeast: 2)
            return .gp(settings)
        case .mlp:
            var settings = MultilayerPerceptron.Settings()
            settings.hidden = try reader.widths("hidden", settings.hidden)
            settings.epochs = try reader.integer("epochs", settings.epochs, atLeast: 1)
            settings.batchSize = try reader.integer("batch_size", settings.batchSize, atLeast: 1)
            settings.learningRate = try reader.positive("learning_rate", settings.learningRate)
            return .mlp(settings)
        }
    }

    /// Trains a regressor with `settings` on `x`, `y`.
    public static func train(_ settings: Settings, x: [[Double]], y: [Double], seed: UInt64) throws -> Regressor {
        switch settings {
        case .forest(let settings): return .forest(try RandomForest(x: x, y: y, settings: settings, seed: seed))
        case .boosted(let settings): return .boosted(try GradientBoosting(x: x, y: y, settings: settings, seed: seed))
        case .gp(let settings): return .gp(try GaussianProcessRegression(x: x, y: y, settings: settings, seed: seed))
        case .mlp(let settings): return .mlp(try MultilayerPerceptron(x: x, y: y, settings: settings, seed: seed))
        case .oblivious(let settings): return .oblivious(try ObliviousBoosting(x: x, y: y, settings: settings, seed: seed))
        }
    }
}

/// Reads hyperparameter values given as text, each error naming the hyperparameter and what it allows.
private struct HyperparameterReader {
    let values: [String: String]

    init(kind: Regressor.Kind, values: [String: String]) throws {
        let known = Regressor.hyperparameters(of: kind).map(\.name)
        for name in values.keys.sorted() where !known.contains(name) {
            throw ProxyError.invalidSetting("\(kind.rawValue) has no hyperparameter '\(name)'; it has: \(known.joined(separator: ", "))")
        }
        self.values = values
    }

    private func invalid(_ name: String, _ text: String, _ allowed: String) -> ProxyError {
        .invalidSetting("\(name) must be \(allowed), not '\(text)'")
    }

    func integer(_ name: String, _ current: Int, atLeast minimum: Int, atMost maximum: Int? = nil) throws -> Int {
        guard let text = values[name] else { return current }
        guard let value = Int(text), value >= minimum, value <= (maximum ?? .max) else {
            throw invalid(name, text, maximum.map { "an integer from \(minimum) to \($0)" } ?? "an integer ≥ \(minimum)")
        }
        return value
    }

    func nonNegative(_ name: String, _ current: Double) throws -> Double {
        guard let text = values[name] else { return current }
        guard let value = Double(text), value >= 0, value.isFinite else { throw invalid(name, text, "a number ≥ 0") }
        return value
    }

    func integerOrAll(_ name: String, _ current: Int?) throws -> Int? {
        guard let text = values[name] else { return current }
        if text == "all" { return nil }
        guard let value = Int(text), value >= 1 else { throw invalid(name, text, "'all' or an integer ≥ 1") }
        return value
    }

    func boolean(_ name: String, _ current: Bool) throws -> Bool {
        guard let text = values[name] else { return current }
        guard let value = Bool(text) else { throw invalid(name, text, "true or false") }
        return value
    }

    func fraction(_ name: String, _ current: Double) throws -> Double {
        guard let text = values[name] else { return current }
        guard let value = Double(text), value > 0, value <= 1 else { throw invalid(name, text, "a number in (0, 1]") }
        return value
    }

    func positive(_ name: String, _ current: Double) throws -> Double {
        guard let text = values[name] else { return current }
        guard let value = Double(text), value > 0, value.isFinite else { throw invalid(name, text, "a positive number") }
        return value
    }

    func widths(_ name: String, _ current: [Int]) throws -> [Int] {
        guard let text = values[name] else { return current }
        let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw invalid(name, text, "comma-separated layer widths ≥ 1, such as 64,64")
        }
        return widths.map { $0! }
    }
}
