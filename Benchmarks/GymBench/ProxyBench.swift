import Dispatch
import Foundation
import GymCore
import MemoryController
import ProxyModels

/// Proxy prediction time against simulation time on MemoryController-v0: proxies of power trained on
/// 500 random designs (a forest, a small forest, boosted trees, oblivious boosting, and that distilled
/// into a 300-tree student on 50,000 designs it labelled), then timed on 200 fresh ones.
func benchProxy() throws {
    let environment = try MemoryControllerEnvironment(options: EnvironmentOptions())
    let space = environment.spec.space
    var generator = SeededGenerator(seed: 21)
    let trials = (0..<500).map { number -> Trial in
        let design = space.sample(using: &generator)
        return Trial(number: number, design: design, evaluation: environment.measure(design), reward: nil)
    }
    let data = try Dataset(trials: trials, space: space, metrics: ["power"])
    let fresh = (0..<200).map { _ in space.sample(using: &generator) }
    var start = DispatchTime.now().uptimeNanoseconds
    var truth: [Double] = []
    for design in fresh { truth.append(try environment.evaluate(design).metrics["power"]!) }
    let simulation = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(fresh.count)
    let studentSettings = try Regressor.settings(.oblivious, hyperparameters: ["rounds": "300", "depth": "10", "learning_rate": "0.2"])
    let teacher = try Regressor.train(try Regressor.settings(.oblivious, hyperparameters: ["rounds": "1000", "learning_rate": "0.05"]),
                                      x: data.features, y: data.targets["power"]!, seed: 1)
    let student = try Distillation.student(studentSettings, teacher: teacher, synthetic: Distillation.designs(50_000, space: space, seed: 2),
                                           x: data.features, y: data.targets["power"]!, seed: 3)
    for (label, trained) in [("forest", try Regressor.settings(.forest, hyperparameters: [:])),
                             ("forest of 25 trees", try Regressor.settings(.forest, hyperparameters: ["trees": "25"])),
                             ("boosted", try Regressor.settings(.boosted, hyperparameters: [:])),
                             ("oblivious, 1000 trees", nil),
                             ("distilled into 300 oblivious trees", nil)] as [(String, Regressor.Settings?)] {
        let model = try trained.map { try Regressor.train($0, x: data.features, y: data.targets["power"]!, seed: 1) }
            ?? (label.hasPrefix("distilled") ? student : teacher)
        start = DispatchTime.now().uptimeNanoseconds
        var predicted: [Double] = []
        for _ in 0..<5 { predicted = fresh.map { model.predict(space.unitVector($0)) } }
        let prediction = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(5 * fresh.count)
        let scores = Scores(predicted: predicted, truth: truth)
        print("proxy of DRAM power, \(label), 500 trials".padding(toLength: 70, withPad: " ", startingAt: 0)
              + String(format: "encode + predict %.2f µs, simulate %.2f ms: %.0f× faster; RMSE/range %.2f %%, τ %.3f",
                       prediction * 1e6, simulation * 1e3, simulation / prediction, 100 * scores.normalizedRMSE, scores.kendallTau))
    }
}
