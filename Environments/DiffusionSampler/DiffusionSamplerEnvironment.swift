import Foundation
import GymCore

/// `DiffusionSampler-v1`: search diffusion ODE solver schedules (NFE, solver, order, spacing, corrector,
/// DC-Solver's compensation) on a Gaussian mixture whose score is exact, scored against a very accurate
/// solution of the same ODE and against the true data.
///
/// Metrics: `l2`, the mean over samples of ‖x_solver − x_ref‖₂ against the RK4 reference solution
/// (computed once per workload and sample count, and kept in memory); `sw2`, the sliced 2-Wasserstein
/// distance to data samples (128 directions); `nfe`, the denoiser evaluations used. Start points, data
/// samples and directions come from the test bed's fixed random-number recipe, so every evaluation is
/// deterministic and comparable across implementations.
public struct DiffusionSamplerEnvironment: Environment {
    /// The versioned id.
    public static let id = "DiffusionSampler-v1"

    /// The parameter space.
    public static let space = ParameterSpace([
        .integer("nfe", 4...50, default: 10, summary: "denoiser (function) evaluations", unit: "evaluations"),
        .categorical("solver", Solver.allCases.map(\.rawValue), default: "dpm-solver++",
                     summary: "DDIM, DPM-Solver-2 (single-step), DPM-Solver++ multistep, or UniPC-bh2"),
        .integer("order", 1...3, default: 2, summary: "multistep order: DPM-Solver++ 1–3, UniPC 1–2 (3 acts as 2); others ignore it"),
        .categorical("spacing", Spacing.allCases.map(\.rawValue), default: "logsnr",
                     summary: "time steps uniform in t, in λ (logSNR), in √t, or Karras ρ-spacing"),
        .categorical("corrector", ["on", "off"], default: "on", summary: "UniPC's UniC corrector (no extra evaluations)"),
        .categorical("lower_order_final", ["true", "false"], default: "true",
                     summary: "lower the order of the final steps (DPM-Solver++ under 10 steps; UniPC)"),
        .real("second_difference_scale", 0.5...2.5, default: 1,
              summary: "scale of DPM-Solver++(3M)'s second difference D2 (1: common form; 2: order ≈ 3)"),
        .real("karras_rho", 1...10, default: 7, summary: "ρ of the Karras spacing"),
        .real("dc_ratio", 0.5...1.5, default: 1,
              summary: "DC-Solver's compensation ratio ρ at the first compensated step of DPM-Solver++ and UniPC (1: none); others ignore it"),
        .real("dc_slope", -0.5...0.5, default: 0, summary: "change of the compensation ratio from the first compensated step to the last"),
    ])

    /// The metrics.
    public static let metrics = [
        MetricSpec(name: "l2", unit: "1", goal: .minimize, summary: "mean ‖x − x_ref‖₂ to the RK4 reference solution"),
        MetricSpec(name: "sw2", unit: "1", goal: .minimize, summary: "sliced 2-Wasserstein distance to data samples"),
        MetricSpec(name: "nfe", unit: "evaluations", goal: .minimize, summary: "denoiser evaluations used"),
    ]

    /// The spec of this instance.
    public let spec: EnvironmentSpec
    private let problem: SamplingProblem

    /// Creates an instance: workload `2d` (default), `8d`, or `custom` with `mixture=<JSON file>`;
    /// option `samples` (default 4000).
    public init(options: EnvironmentOptions) throws {
        var spec = EnvironmentSpec(
            id: Self.id, summary: "diffusion ODE solver schedules on a Gaussian mixture with an exact score",
            space: Self.space, metrics: Self.metrics,
            workloads: [
                WorkloadSpec(name: "2d", summary: "8 components on a circle of radius 4 in 2-D"),
                WorkloadSpec(name: "8d", summary: "5 components in 8-D"),
                WorkloadSpec(name: "custom", summary: "a mixture from --option mixture=<JSON file> (weights, means, standard_deviations)"),
            ],
            workload: "2d",
            options: [
                OptionSpec(key: "samples", summary: "samples per evaluation (start points and data samples)", defaultValue: "4000"),
                OptionSpec(key: "mixture", summary: "JSON file of the custom workload's mixture", kind: .file),
            ],
            defaultObjective: .metric("l2", .minimize),
            suggestedObjectives: [
                "sw2": .metric("sw2", .minimize),
                "error-vs-nfe": Objective(kind: .pareto, terms: [.init(metric: "l2", goal: .minimize), .init(metric: "nfe", goal: .minimize)]),
                "l2-at-10-nfe": Objective(kind: .metric, terms: [.init(metric: "l2", goal: .minimize)],
                                          limits: [.init(metric: "nfe", value: 10, goal: .minimize)]),
            ])
        spec.workload = try spec.resolveWorkload(options)
        let samplesText = options.values["samples"] ?? "4000"
        guard let samples = Int(samplesText), (16...100_000).contains(samples) else {
            throw EnvironmentError.invalidOption(key: "samples", value: samplesText, reason: "expected a whole number from 16 to 100000")
        }
        let mixture: GaussianMixture
        var startSeed: UInt64 = 1234
        switch spec.workload {
        case "8d":
            mixture = .eightDimensional
            startSeed = 5678
        case "custom":
            guard let path = options.values["mixture"] else {
                throw EnvironmentError.invalidOption(key: "mixture", value: "", reason: "the custom workload needs --option mixture=<JSON file>")
            }
            mixture = try Self.loadMixture(path)
        default:
            if options.values["mixture"] != nil {
                throw EnvironmentError.invalidOption(key: "mixture", value: options.values["mixture"]!,
                                                     reason: "only the custom workload reads a mixture file")
            }
            mixture = .twoDimensional
        }
        self.spec = spec
        self.problem = SamplingProblem.shared(mixture: mixture, samples: samples, startSeed: startSeed)
    }

    static func loadMixture(_ path: String) throws -> GaussianMixture {
        let data: Data
        do {
            data = try InputFile.read(path, what: "mixture", limit: 4 << 20)
        } catch let error as InputFileError {
            throw EnvironmentError.invalidOption(key: "mixture", value: path, reason: error.reason)
        }
        do {
            return try JSONDecoder().decode(GaussianMixture.self, from: data)
        } catch let error as EnvironmentError {
            throw error
        } catch {
            throw EnvironmentError.invalidOption(
                key: "mixture", value: path,
                reason: "expected {\"weights\": [...], \"means\": [[...]], \"standard_deviations\": [[...]]} (\(error))")
        }
    }

    /// Samples with the schedule of `design` and scores the result.
    public func evaluate(_ design: Design) throws -> Evaluation {
        let design = try spec.space.validate(design)
        let plan = Self.schedule(of: design)
        let (samples, evaluations) = ODESampler(denoiser: problem.denoiser).sample(problem.start, with: plan)
        guard samples.allSatisfy(\.isFinite) else {
            return .unsuccessful(.infeasible, message: "the schedule diverges: the samples are not finite")
        }
        let reference = try problem.reference()
        let dimension = problem.denoiser.mixture.dimension
        let rows = samples.count / dimension
        var distance = 0.0
        for row in 0..<rows {
            var squared = 0.0
            for d in 0..<dimension {
                let difference = samples[row * dimension + d] - reference[row * dimension + d]
                squared += difference * difference
            }
            distance += squared.squareRoot()
        }
        let sw2 = SlicedWasserstein.distance(samples, toSortedProjections: problem.sortedDataProjections, dimension: dimension,
                                             directions: problem.directions)
        return Evaluation(metrics: ["l2": distance / Double(rows), "sw2": sw2, "nfe": Double(evaluations)],
                          details: ["samples": .number(Double(rows)), "dimension": .number(Double(dimension))])
    }

    /// The sampler schedule a design stands for.
    public static func schedule(of design: Design) -> SamplerSchedule {
        SamplerSchedule(
            nfe: Int(design["nfe"]!.number!), solver: Solver(rawValue: design["solver"]!.string!)!,
            order: Int(design["order"]!.number!), spacing: Spacing(rawValue: design["spacing"]!.string!)!,
            corrector: design["corrector"]!.string == "on", lowerOrderFinal: design["lower_order_final"]!.string == "true",
            secondDifferenceScale: design["second_difference_scale"]!.number!, karrasRho: design["karras_rho"]!.number!,
            compensation: Compensation(ratio: design["dc_ratio"]!.number!, slope: design["dc_slope"]!.number!))
    }
}

/// The fixed inputs of one workload: start points, data samples, directions and the reference solution,
/// computed once per (mixture, sample count) and shared by every instance in the process.
final class SamplingProblem: @unchecked Sendable {
    let denoiser: MixtureDenoiser
    let start: [Double]
    let data: [Double]
    let directions: [[Double]]
    let sortedDataProjections: [[Double]]
    private let lock = NSLock()
    private var cachedReference: [Double]?

    private init(mixture: GaussianMixture, samples: Int, startSeed: UInt64) {
        denoiser = MixtureDenoiser(mixture: mixture)
        start = ReproducibleRandom.normals(seed: startSeed, rows: samples, columns: mixture.dimension)
        data = mixture.dataSamples(count: samples)
        directions = SlicedWasserstein.directions(dimension: mixture.dimension)
        sortedDataProjections = SlicedWasserstein.sortedProjections(data, dimension: mixture.dimension, directions: directions)
    }

    /// The RK4 reference solution of every start point, computed on first use.
    func reference() throws -> [Double] {
        try EvaluationDeadline.lock(lock)
        defer { lock.unlock() }
        if let cachedReference { return cachedReference }
        let solution = try ReferenceSolution.solve(start, denoiser: denoiser)
        cachedReference = solution
        return solution
    }

    private struct Key: Hashable {
        var mixture: GaussianMixture
        var samples: Int
        var startSeed: UInt64
    }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var problems: [Key: SamplingProblem] = [:]

    static func shared(mixture: GaussianMixture, samples: Int, startSeed: UInt64) -> SamplingProblem {
        registryLock.lock()
        defer { registryLock.unlock() }
        let key = Key(mixture: mixture, samples: samples, startSeed: startSeed)
        if let problem = problems[key] { return problem }
        // A bounded number of problems stays in memory: clients may ask for many sample counts.
        if problems.count >= 8 { problems.removeAll() }
        let problem = SamplingProblem(mixture: mixture, samples: samples, startSeed: startSeed)
        problems[key] = problem
        return problem
    }
}
