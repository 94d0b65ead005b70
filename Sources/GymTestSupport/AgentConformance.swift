import Foundation
import GymCore

/// The checks every registered agent must pass.
public enum AgentConformance {
    /// Runs every check on agent `entry` searching `environment` and returns the issues found.
    ///
    /// Checks: default hyperparameters are valid; over `rounds` rounds of `batch` suggestions (each batch
    /// evaluated and observed) every suggestion is a canonical, valid design; two agents with the same seed
    /// and history suggest the same designs; an agent restored from a checkpoint taken mid-run suggests
    /// what the original suggests next.
    public static func check(_ entry: AgentEntry, on environment: any Environment, rounds: Int = 6, batch: Int = 3,
                             seed: UInt64 = 99) -> [ConformanceIssue] {
        var list = IssueList(subject: "\(entry.id) on \(environment.spec.id)")
        let spec = environment.spec
        let hyperparameters = entry.hyperparameters.defaultDesign
        list.expect(entry.hyperparameters.contains(hyperparameters), "default hyperparameters are valid", hyperparameters.description)
        let configuration = AgentConfiguration(space: spec.space, objective: spec.defaultObjective, seed: seed,
                                               hyperparameters: hyperparameters)
        do {
            let agent = try entry.make(configuration)
            let twin = try entry.make(configuration)
            let restored = try entry.make(configuration)
            var number = 0
            for round in 0..<rounds {
                if round == rounds / 2 {
                    try restored.restore(try agent.checkpoint())
                }
                let designs = try agent.suggest(batch)
                let twinDesigns = try twin.suggest(batch)
                list.expect(designs.count == batch, "suggest returns the number asked for", "\(designs.count) of \(batch)")
                list.expect(designs == twinDesigns, "same seed and history, same suggestions", "round \(round) differed")
                if round >= rounds / 2 {
                    let restoredDesigns = try restored.suggest(batch)
                    list.expect(restoredDesigns == designs, "restored checkpoint suggests the same", "round \(round) differed")
                }
                for design in designs {
                    list.expect((try? spec.space.validate(design)) == design, "suggestions are valid and canonical",
                                design.description)
                }
                let trials = designs.map { design -> Trial in
                    let evaluation = environment.measure(design)
                    defer { number += 1 }
                    return Trial(number: number, design: design, evaluation: evaluation,
                                 reward: spec.defaultObjective.reward(for: evaluation),
                                 rewards: spec.defaultObjective.rewards(for: evaluation),
                                 startedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 0))
                }
                try agent.observe(trials)
                try twin.observe(trials)
                if round >= rounds / 2 { try restored.observe(trials) }
            }
        } catch {
            list.fail("runs without error", "\(error)")
        }
        return list.issues
    }
}
