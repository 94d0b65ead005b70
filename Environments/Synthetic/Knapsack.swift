import GymCore

/// `Knapsack-v0`: a bounded knapsack with a capacity constraint, so some designs are infeasible.
///
/// Eight item kinds, 0…3 copies of each; a design is feasible when its total weight is at most 30 kg.
/// Metrics: total value (maximise) and total weight in kg. The best feasible value is 68 (found by
/// exhaustive search over all 4⁸ = 65,536 designs; see the tests).
public enum Knapsack {
    /// The versioned id.
    public static let id = "Knapsack-v0"
    /// Item weights in kg.
    public static let weights: [Double] = [12, 2, 1, 4, 1, 3, 5, 7]
    /// Item values.
    public static let values: [Double] = [4, 2, 1, 10, 2, 7, 8, 13]
    /// The capacity in kg.
    public static let capacity = 30.0

    static func totals(_ design: Design) -> (weight: Double, value: Double) {
        var weight = 0.0
        var value = 0.0
        for index in weights.indices {
            let count = design["item\(index + 1)"]?.number ?? 0
            weight += count * weights[index]
            value += count * values[index]
        }
        return (weight, value)
    }

    /// The parameter space, with the capacity constraint.
    public static let space = ParameterSpace(
        weights.indices.map { index in
            .integer("item\(index + 1)", 0...3, default: 0,
                     summary: "copies of item \(index + 1) (weight \(Int(weights[index])) kg, value \(Int(values[index])))")
        },
        constraints: [Constraint(name: "capacity", message: "total weight must be at most 30 kg") { totals($0).weight <= capacity }])

    /// Makes an instance.
    public static func make(_ options: EnvironmentOptions) throws -> TestFunctionEnvironment {
        let spec = EnvironmentSpec(
            id: id, summary: "bounded knapsack with a 30 kg capacity constraint (best value 68)", space: space,
            metrics: [MetricSpec(name: "value", unit: "1", goal: .maximize, summary: "total value of the items"),
                      MetricSpec(name: "weight", unit: "kg", goal: .minimize, summary: "total weight of the items")],
            workloads: TestFunctionEnvironment.defaultWorkload, workload: "default",
            defaultObjective: .metric("value", .maximize))
        return try TestFunctionEnvironment(spec: spec, options: options, knownOptimum: .init(design: nil, metrics: ["value": 68])) { design in
            let totals = totals(design)
            return ["value": totals.value, "weight": totals.weight]
        }
    }
}
