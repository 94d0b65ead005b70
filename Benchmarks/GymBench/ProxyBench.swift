import Dispatch
import Foundation
import GymCore
import MemoryController
import ProxyModels

/// Proxy prediction time against simulation time on MemoryController-v0: a random forest of power
/// trained on 500 random designs, then both timed on 200 fresh ones.
func benchProxy() throws {
    let environment = try MemoryControllerEnvironment(options: EnvironmentOptions())
    let space = environment.spec.space
    var generator = SeededGenerator(seed: 21)
    let trials = (0..<500).map { number -> Trial in
        let design = space.sample(using: &generator)
        return Trial(number: number, design: design, evaluation: environment.measure(design), reward: nil)
    }
    let data = try Dataset(trials: trials, space: space, metrics: ["power"])
    let forest = try RandomForest(x: data.features, y: data.targets["power"]!, seed: 1)
    let fresh = (0..<200).map { _ in space.sample(using: &generator) }
    var start = DispatchTime.now().uptimeNanoseconds
    var truth: [Double] = []
    for design in fresh { truth.append(try environment.evaluate(design).metrics["power"]!) }
    let simulation = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(fresh.count)
    start = DispatchTime.now().uptimeNanoseconds
    var predicted: [Double] = []
    for design in fresh { predicted.append(forest.predict(space.unitVector(design))) }
    let prediction = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(fresh.count)
    let scores = Scores(predicted: predicted, truth: truth)
    print("proxy of DRAM power, forest on 500 trials".padding(toLength: 48, withPad: " ", startingAt: 0)
          + String(format: "predict %.1f µs, simulate %.2f ms: %.0f× faster; RMSE/range %.2f %%, τ %.3f",
                   prediction * 1e6, simulation * 1e3, simulation / prediction, 100 * scores.normalizedRMSE, scores.kendallTau))
}
