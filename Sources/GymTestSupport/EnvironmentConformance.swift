import GymCore

/// The checks every registered environment must pass, like Gymnasium's environment checker.
public enum EnvironmentConformance {
    /// Runs every check on the environment `entry` and returns the issues found (empty when it conforms).
    ///
    /// Checks: it builds with default options and its spec id matches, versioned as `Name-vN`; defaults
    /// are valid and the default objective fits the metrics; `samples` designs drawn with a seeded
    /// generator are canonical and survive unit and one-hot encoding; two instances with the same seed
    /// measure the same metrics, and a deterministic one measures a design the same way twice; `ok` evaluations report exactly the declared, finite metrics; invalid
    /// designs are rejected with a `DesignError` naming the parameter; unknown workloads and options are
    /// rejected; resetting an episode twice with one seed gives equal observations.
    public static func check(_ entry: EnvironmentEntry, samples: Int = 24, seed: UInt64 = 2024) -> [ConformanceIssue] {
        var list = IssueList(subject: entry.id)
        let options = EnvironmentOptions(seed: seed)
        let first: any Environment
        let second: any Environment
        do {
            first = try entry.make(options)
            second = try entry.make(options)
        } catch {
            list.fail("builds with default options", "\(error)")
            return list.issues
        }
        let spec = first.spec
        list.expect(spec.id == entry.id, "spec id matches registry id", "spec says \(spec.id)")
        // Members of a family (`Proxy:<file>`) are named by their parameter; the rest carry a version.
        list.expect(spec.id.contains(":") || spec.id.range(of: #"^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*-v[0-9]+$"#, options: .regularExpression) != nil,
                    "versioned id", "'\(spec.id)' is not of the form Name-vN")
        list.expect(!spec.space.parameters.isEmpty, "has parameters", "the space is empty")
        list.expect(!spec.metrics.isEmpty, "declares metrics", "no metrics")
        list.expect(spec.workloads.contains { $0.name == spec.workload }, "default workload is listed", spec.workload)
        list.expect(spec.space.contains(spec.space.defaultDesign), "default design is valid", spec.space.defaultDesign.description)
        do {
            _ = try spec.defaultObjective.resolved(against: spec.metrics)
        } catch {
            list.fail("default objective fits the metrics", "\(error)")
        }
        checkSamples(first, second, samples: samples, seed: seed, list: &list)
        checkInvalidDesigns(first, list: &list)
        checkOptions(entry, spec: spec, list: &list)
        checkEpisode(first, list: &list)
        return list.issues
    }

    private static func checkSamples(_ first: any Environment, _ second: any Environment, samples: Int, seed: UInt64,
                                     list: inout IssueList) {
        let spec = first.spec
        var generator = SeededGenerator(seed: seed)
        var replay = SeededGenerator(seed: seed)
        for index in 0..<samples {
            let design = index == 0 ? spec.space.defaultDesign : spec.space.sample(using: &generator)
            if index > 0 {
                let again = spec.space.sample(using: &replay)
                list.expect(again == design, "sampling is deterministic for a seed", "draw \(index) differed")
            }
            guard let canonical = try? spec.space.validate(design), canonical == design else {
                list.fail("sampled designs are valid and canonical", design.description)
                continue
            }
            list.expect(spec.space.design(fromUnitVector: spec.space.unitVector(design)) == design,
                        "unit encoding round-trips", design.description)
            list.expect(spec.space.design(fromOneHotVector: spec.space.oneHotVector(design)) == design,
                        "one-hot encoding round-trips", design.description)
            let a = first.measure(design)
            let b = second.measure(design)
            // Metrics measured on the machine (timings) are left out of repeatability.
            let measured = Set(spec.metrics.filter { !$0.isDeterministic }.map(\.name))
            func repeatable(_ evaluation: Evaluation) -> [String: Double] { evaluation.metrics.filter { !measured.contains($0.key) } }
            list.expect(a.status == b.status && repeatable(a) == repeatable(b), "same seed, same metrics",
                        "\(design): \(a.metrics) vs \(b.metrics)")
            if spec.isDeterministic {
                let again = first.measure(design)
                list.expect(again.status == a.status && repeatable(again) == repeatable(a), "a deterministic environment repeats itself",
                            "\(design): \(a.metrics) then \(again.metrics)")
            }
            switch a.status {
            case .ok:
                list.expect(Set(a.metrics.keys) == Set(spec.metrics.map(\.name)), "ok evaluations report the declared metrics",
                            "reported \(a.metrics.keys.sorted()), declared \(spec.metrics.map(\.name))")
                list.expect(a.metrics.values.allSatisfy(\.isFinite), "metrics are finite", "\(a.metrics)")
            case .infeasible, .failed, .timeout:
                list.expect(a.message != nil, "unsuccessful evaluations say why", "\(a.status) for \(design) without a message")
            }
        }
    }

    private static func checkInvalidDesigns(_ environment: any Environment, list: inout IssueList) {
        let space = environment.spec.space
        let base = space.defaultDesign
        for parameter in space.parameters {
            let bad: ParameterValue
            switch parameter.domain {
            case .categorical: bad = .string("\u{1F6AB}not-a-choice")
            case .integer(_, let upper, let step, _): bad = .int(upper + step)
            case .real(let lower, let upper, _): bad = .double(upper + max(1, upper - lower))
            case .ordinal(let values): bad = .double(values.last! + 1 + abs(values.last!))
            }
            var design = base
            design[parameter.name] = bad
            expectRejection(environment, design, parameter: parameter.name, list: &list)
            var missing = base
            missing[parameter.name] = nil
            expectRejection(environment, missing, parameter: parameter.name, list: &list)
        }
        var unknown = base
        unknown["\u{1F6AB}no-such-parameter"] = .int(1)
        expectRejection(environment, unknown, parameter: "\u{1F6AB}no-such-parameter", list: &list)
    }

    private static func expectRejection(_ environment: any Environment, _ design: Design, parameter: String,
                                        list: inout IssueList) {
        do {
            _ = try environment.evaluate(design)
            list.fail("invalid designs are rejected", "\(design) was evaluated")
        } catch let error as DesignError {
            list.expect(error.parameter == parameter, "the error names the parameter", "\(error)")
        } catch {
            list.fail("invalid designs throw DesignError", "\(design) threw \(error)")
        }
        let evaluation = environment.measure(design)
        list.expect(evaluation.status == .failed && evaluation.message != nil, "measure reports invalid designs as failed",
                    "\(evaluation.status)")
    }

    private static func checkOptions(_ entry: EnvironmentEntry, spec: EnvironmentSpec, list: inout IssueList) {
        do {
            _ = try entry.make(EnvironmentOptions(workload: "\u{1F6AB}no-such-workload"))
            list.fail("unknown workloads are rejected", "no error")
        } catch let error as EnvironmentError {
            if case .unknownWorkload = error {} else { list.fail("unknown workloads are rejected", "\(error)") }
        } catch {
            list.fail("unknown workloads throw EnvironmentError", "\(error)")
        }
        do {
            _ = try entry.make(EnvironmentOptions(values: ["\u{1F6AB}no-such-option": "1"]))
            list.fail("unknown options are rejected", "no error")
        } catch let error as EnvironmentError {
            if case .unknownOption = error {} else { list.fail("unknown options are rejected", "\(error)") }
        } catch {
            list.fail("unknown options throw EnvironmentError", "\(error)")
        }
    }

    private static func checkEpisode(_ environment: any Environment, list: inout IssueList) {
        var episode = Episode(environment: environment, objective: environment.spec.defaultObjective)
        let first = episode.reset(seed: 11)
        let second = episode.reset(seed: 11)
        list.expect(first == second, "reset with one seed gives equal observations", "\(first) vs \(second)")
        list.expect(first.count == environment.spec.metrics.count, "observations have one entry per metric", "\(first.count)")
        do {
            let step = try episode.step(environment.spec.space.defaultDesign)
            list.expect(step.observation.count == environment.spec.metrics.count, "step observations have one entry per metric",
                        "\(step.observation.count)")
            list.expect(step.terminated != step.truncated || !step.terminated, "terminated and truncated are distinct", "both set")
        } catch {
            list.fail("an episode steps after reset", "\(error)")
        }
    }
}

import Foundation

extension EnvironmentEntry {
    /// This entry, making its environments with `workload` when the options name none (itself when nil):
    /// for checking an environment on a workload other than its default.
    public func defaultingWorkload(to workload: String?) -> EnvironmentEntry {
        guard let workload else { return self }
        let make = self.make
        return EnvironmentEntry(id: id, summary: summary, preparation: preparation) { options in
            var options = options
            if options.workload == nil { options.workload = workload }
            return try make(options)
        }
    }
}
