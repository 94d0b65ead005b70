import Foundation
import GymCore

/// `Branin-v0`: the Branin–Hoo function over a mixed space of a real, an integer grid and a categorical.
///
/// f(x1, x2) = a(x2 − b·x1² + c·x1 − r)² + s(1 − t)cos(x1) + s with a = 1, b = 5.1/(4π²), c = 5/π, r = 6,
/// s = 10, t = 1/(8π) (Dixon & Szegő 1978). `x1` ∈ [−5, 10] is real; x2 = 0.025·`x2_steps` with
/// `x2_steps` ∈ 0…600, so x2 ∈ [0, 15] and the three global minimisers x2 ∈ {12.275, 2.275, 2.475}
/// lie on the grid. `variant` transforms the value: standard f, shifted f + 1, scaled 2f + 0.5. The
/// minimum is 5/(4π) ≈ 0.397887 at (π, 2.275, standard).
public enum Branin {
    /// The versioned id.
    public static let id = "Branin-v0"

    /// The Branin–Hoo function.
    public static func value(x1: Double, x2: Double) -> Double {
        let b = 5.1 / (4 * Double.pi * Double.pi)
        let c = 5 / Double.pi
        let t = 1 / (8 * Double.pi)
        let inner = x2 - b * x1 * x1 + c * x1 - 6
        return inner * inner + 10 * (1 - t) * cos(x1) + 10
    }

    /// The parameter space.
    public static let space = ParameterSpace([
        .real("x1", -5...10, default: 0, summary: "first coordinate"),
        .integer("x2_steps", 0...600, default: 300, summary: "second coordinate in steps of 0.025 (x2 = 0.025 · x2_steps)"),
        .categorical("variant", ["standard", "shifted", "scaled"], summary: "standard f, shifted f + 1, or scaled 2f + 0.5"),
    ])

    /// Makes an instance.
    public static func make(_ options: EnvironmentOptions) throws -> TestFunctionEnvironment {
        let spec = EnvironmentSpec(
            id: id, summary: "Branin–Hoo function over a mixed real / integer / categorical space (minimum 5/(4π))",
            space: space, metrics: [MetricSpec(name: "value", unit: "1", goal: .minimize, summary: "the function's value")],
            workloads: TestFunctionEnvironment.defaultWorkload, workload: "default",
            defaultObjective: .metric("value", .minimize),
            suggestedObjectives: ["inverse": Objective(kind: .inverse, terms: [.init(metric: "value")])])
        let optimum = Design(["x1": .double(Double.pi), "x2_steps": .int(91), "variant": "standard"])
        return try TestFunctionEnvironment(
            spec: spec, options: options,
            knownOptimum: .init(design: try space.validate(optimum), metrics: ["value": 5 / (4 * Double.pi)])
        ) { design in
            let x1 = design["x1"]!.number!
            let x2 = 0.025 * design["x2_steps"]!.number!
            let f = value(x1: x1, x2: x2)
            switch design["variant"]!.string! {
            case "shifted": return ["value": f + 1]
            case "scaled": return ["value": 2 * f + 0.5]
            default: return ["value": f]
            }
        }
    }
}
