import Foundation
import GymCore

/// `ZDT1-v0`: the two-objective ZDT1 problem (Zitzler, Deb & Thiele 2000) over a mixed space.
///
/// f1 = x1, f2 = g·(1 − √(f1/g)), g = 1 + 9·mean(u2…u6), both minimised, where u2…u6 ∈ [0, 1] are
/// the other parameters mapped to the unit interval: ordinals `x2`, `x3` ∈ {0, 0.25, 0.5, 0.75, 1};
/// categorical `x4` ∈ {a, b, c, d} → 0, ⅓, ⅔, 1; log-scale real `x5` ∈ [0.001, 1] → (x5 − 0.001)/0.999;
/// log-scale integer `x6` ∈ 1…1024 → log₂(x6)/10. The Pareto front is g = 1 (u = 0), f2 = 1 − √f1,
/// whose hypervolume above the reference (f1, f2) = (1, 1) is ∫₀¹ √f1 df1 = 2/3.
public enum ZDT1 {
    /// The versioned id.
    public static let id = "ZDT1-v0"

    /// The parameter space.
    public static let space = ParameterSpace([
        .real("x1", 0...1, default: 0.5, summary: "the first objective itself"),
        .ordinal("x2", [0, 0.25, 0.5, 0.75, 1], default: 1),
        .ordinal("x3", [0, 0.25, 0.5, 0.75, 1], default: 1),
        .categorical("x4", ["a", "b", "c", "d"], default: "d"),
        .real("x5", 0.001...1, logScale: true, default: 1),
        .integer("x6", 1...1024, logScale: true, default: 1024),
    ])

    /// g of a design: 1 on the Pareto front, up to 10.
    public static func g(_ design: Design) -> Double {
        let u4 = Double(["a": 0, "b": 1, "c": 2, "d": 3][design["x4"]!.string!]!) / 3
        let u5 = (design["x5"]!.number! - 0.001) / 0.999
        let u6 = log2(design["x6"]!.number!) / 10
        let mean = (design["x2"]!.number! + design["x3"]!.number! + u4 + u5 + u6) / 5
        return 1 + 9 * mean
    }

    /// Makes an instance.
    public static func make(_ options: EnvironmentOptions) throws -> TestFunctionEnvironment {
        let pareto = Objective(kind: .pareto, terms: [.init(metric: "f1", goal: .minimize), .init(metric: "f2", goal: .minimize)])
        let spec = EnvironmentSpec(
            id: id, summary: "two-objective ZDT1 over a mixed space (Pareto front f2 = 1 − √f1)", space: space,
            metrics: [MetricSpec(name: "f1", unit: "1", goal: .minimize, summary: "first objective"),
                      MetricSpec(name: "f2", unit: "1", goal: .minimize, summary: "second objective")],
            workloads: TestFunctionEnvironment.defaultWorkload, workload: "default", defaultObjective: pareto,
            suggestedObjectives: ["sum": Objective(kind: .sum, terms: [.init(metric: "f1", value: -1), .init(metric: "f2", value: -1)])])
        return try TestFunctionEnvironment(
            spec: spec, options: options,
            knownOptimum: .init(design: nil, metrics: [:], frontHypervolume: 2.0 / 3.0, reference: [-1, -1])
        ) { design in
            let f1 = design["x1"]!.number!
            let g = g(design)
            return ["f1": f1, "f2": g * (1 - (f1 / g).squareRoot())]
        }
    }
}
