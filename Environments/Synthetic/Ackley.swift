import Foundation
import GymCore

/// `Ackley-v0`: the Ackley function (a = 20, b = 0.2, c = 2π) in five dimensions on discrete grids.
///
/// f(x) = −20·exp(−0.2·√(Σx²/5)) − exp(Σcos(2πx)/5) + 20 + e. `x1`…`x4` are ordinal values −5, −4.5, …, 5;
/// `x5` is an integer −10…10 in steps of 2. The minimum is 0 at the origin; the many local minima sit
/// near the other whole-number points.
public enum Ackley {
    /// The versioned id.
    public static let id = "Ackley-v0"

    /// The Ackley function of any dimension.
    public static func value(_ x: [Double]) -> Double {
        let n = Double(x.count)
        let squares = x.reduce(0) { $0 + $1 * $1 } / n
        let cosines = x.reduce(0) { $0 + cos(2 * Double.pi * $1) } / n
        return -20 * exp(-0.2 * squares.squareRoot()) - exp(cosines) + 20 + M_E
    }

    /// The parameter space.
    public static let space: ParameterSpace = {
        let grid = (0...20).map { -5 + 0.5 * Double($0) }
        return ParameterSpace((1...4).map { Parameter.ordinal("x\($0)", grid, default: 5, summary: "coordinate \($0)") }
            + [.integer("x5", -10...10, step: 2, default: 10, summary: "coordinate 5, even integers")])
    }()

    /// Makes an instance.
    public static func make(_ options: EnvironmentOptions) throws -> TestFunctionEnvironment {
        let spec = EnvironmentSpec(
            id: id, summary: "Ackley function on a discrete 5-D grid (minimum 0 at the origin)", space: space,
            metrics: [MetricSpec(name: "value", unit: "1", goal: .minimize, summary: "the function's value")],
            workloads: TestFunctionEnvironment.defaultWorkload, workload: "default",
            defaultObjective: .metric("value", .minimize))
        let origin = Design(Dictionary(uniqueKeysWithValues: space.names.map { ($0, ParameterValue.int(0)) }))
        return try TestFunctionEnvironment(
            spec: spec, options: options, knownOptimum: .init(design: try space.validate(origin), metrics: ["value": 0])
        ) { design in
            ["value": value(space.names.map { design[$0]!.number! })]
        }
    }
}
