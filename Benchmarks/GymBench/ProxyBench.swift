import Dispatch
import Foundation
import GymCore
import MemoryController
import ProxyModels

/// Proxy prediction time against simulation time on MemoryController-v0: proxies of power trained on
/// 500 random designs (a forest, a small forest, boosted trees), then timed on 200 fresh ones.
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
    for (label, settings) in [("forest", try Regressor.settings(.forest, hyperparameters: [:])),
                              ("forest of 25 trees", try Regressor.settings(.forest, hyperparameters: ["trees": "25"])),
                              ("boosted", try Regressor.settings(.boosted, hyperparameters: [:]))] {
        let model = try Regressor.train(settings, x: data.features, y: data.targets["power"]!, seed: 1)
        start = DispatchTime.now().uptimeNanoseconds
        var predicted: [Double] = []
        for _ in 0..<5 { predicted = fresh.map { model.predict(space.unitVector($0)) } }
        let prediction = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(5 * fresh.count)
        let scores = Scores(predicted: predicted, truth: truth)
        print("proxy of DRAM power, \(label), 500 trials".padding(toLength: 56, withPad: " ", startingAt: 0)
              + String(format: "encode + predict %.2f µs, simulate %.2f ms: %.0f× faster; RMSE/range %.2f %%, τ %.3f",
                       prediction * 1e6, simulation * 1e3, simulation / prediction, 100 * scores.normalizedRMSE, scores.kendallTau))
    }
}
