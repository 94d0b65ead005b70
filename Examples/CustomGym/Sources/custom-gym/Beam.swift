import Foundation
import GymCore

/// A cantilever beam of rectangular section under a load at its tip: choose its width, depth and material
/// for the least mass whose tip deflects and whose root stresses stay within limits. Euler–Bernoulli beam
/// theory: I = b·h³/12, tip deflection δ = F·L³/(3·E·I), root bending stress σ = 6·F·L/(b·h²), mass
/// m = ρ·b·h·L. Material figures: steel E = 200 GPa, ρ = 7850 kg/m³, yield 250 MPa (ASTM A36); aluminium
/// 6061-T6 E = 68.9 GPa, ρ = 2700 kg/m³, yield 276 MPa (ASM handbook).
struct Beam: Environment {
    static let length = 2.0      // m
    static let load = 10_000.0   // N at the tip

    let spec: EnvironmentSpec

    init(options: EnvironmentOptions) throws {
        let space = try ParameterSpace(validating: [
            Parameter(name: "width_mm", domain: .integer(lower: 20, upper: 200, step: 5, logScale: false), defaultValue: .int(100),
                      summary: "section width", unit: "mm"),
            Parameter(name: "depth_mm", domain: .integer(lower: 20, upper: 400, step: 5, logScale: false), defaultValue: .int(200),
                      summary: "section depth", unit: "mm"),
            Parameter(name: "material", domain: .categorical(["steel", "aluminium"]), defaultValue: .string("steel"),
                      summary: "the beam's material"),
        ])
        var spec = EnvironmentSpec(
            id: "Beam-v1", summary: "a cantilever beam under a tip load (Euler–Bernoulli)", space: space,
            metrics: [
                MetricSpec(name: "mass", unit: "kg", goal: .minimize, summary: "ρ·b·h·L"),
                MetricSpec(name: "deflection", unit: "mm", goal: .minimize, summary: "tip deflection F·L³/(3·E·I)"),
                MetricSpec(name: "stress", unit: "MPa", goal: .minimize, summary: "root bending stress 6·F·L/(b·h²)"),
            ],
            workloads: [WorkloadSpec(name: "tip-load", summary: "10 kN at the tip of a 2 m beam")], workload: "tip-load",
            defaultObjective: try Objective.parse("mass:min;deflection<=10;stress<=150"))
        spec.workload = try spec.resolveWorkload(options)
        self.spec = spec
    }

    func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        guard case .int(let width)? = design["width_mm"], case .int(let depth)? = design["depth_mm"],
              case .string(let material)? = design["material"] else { throw DesignError.malformed("Beam-v1 needs width_mm, depth_mm, material") }
        let (modulus, density) = material == "steel" ? (200e9, 7850.0) : (68.9e9, 2700.0)
        let b = Double(width) / 1000, h = Double(depth) / 1000
        let inertia = b * h * h * h / 12
        let deflection = Self.load * pow(Self.length, 3) / (3 * modulus * inertia)
        let stress = 6 * Self.load * Self.length / (b * h * h)
        return Evaluation(metrics: ["mass": density * b * h * Self.length, "deflection": deflection * 1000, "stress": stress / 1e6])
    }
}
