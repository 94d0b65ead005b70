import Testing
@testable import GymCore

@Suite struct SeededGeneratorTests {
    @Test func splitMix64MatchesTheReferenceSequence() {
        // SplitMix64 from state 0 (Steele, Lea & Flood 2014; Vigna's reference C code).
        var mixer = SplitMix64(state: 0)
        #expect(mixer.next() == 0xE220_A839_7B1D_CDAF)
        #expect(mixer.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func xoshiroSeededThroughSplitMixMatchesTheReferenceSequence() {
        // State = the first four SplitMix64 outputs from 0; outputs from Blackman & Vigna's xoshiro256**.
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0x99EC_5F36_CB75_F2B4)
        #expect(generator.next() == 0xBF6E_1F78_4956_452A)
        #expect(generator.next() == 0x1A5F_849D_4933_E6E0)
    }

    @Test func sameSeedSameSequenceDifferentSeedDifferentSequence() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
    }

    @Test func boundedIntegersStayInRangeAndCoverIt() {
        var generator = SeededGenerator(seed: 7)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[generator.nextInt(below: 6)] += 1 }
        // Each face expects 10,000; 5 standard deviations is √(60000·(1/6)·(5/6)) · 5 ≈ 456.
        for count in counts { #expect(abs(count - 10_000) < 456) }
        for _ in 0..<1000 { #expect((-3...3).contains(generator.nextInt(in: -3...3))) }
    }

    @Test func unitDrawsLieInTheHalfOpenInterval() {
        var generator = SeededGenerator(seed: 3)
        var sum = 0.0
        for _ in 0..<100_000 {
            let u = generator.nextUnit()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        // Mean 0.5, standard error √(1/12/100000) ≈ 0.00091; allow 5 of them.
        #expect(abs(sum / 100_000 - 0.5) < 0.0046)
    }

    @Test func childSeedsAreStableAndDistinctPerLabel() {
        #expect(Seeds.derive(1, "agent") == Seeds.derive(1, "agent"))
        #expect(Seeds.derive(1, "agent") != Seeds.derive(1, "environment"))
        #expect(Seeds.derive(1, "agent") != Seeds.derive(2, "agent"))
    }

    @Test func generatorStateSurvivesJSON() throws {
        var generator = SeededGenerator(seed: 5)
        _ = generator.next()
        let data = try JSONEncoder().encode(generator)
        var restored = try JSONDecoder().decode(SeededGenerator.self, from: data)
        #expect(restored.next() == generator.next())
    }
}

import Foundation

@Suite struct UpwardShuffleTests {
    @Test func itIsTheStandardLibrarysOrderTodayAndAFixedOneForever() {
        // Today's standard library shuffles in the same order with this generator: splits, batches and
        // mapper searches made before the shuffle was our own are unchanged.
        for count in [0, 1, 2, 3, 10, 257] {
            var ours = Array(0..<count), theirs = Array(0..<count)
            var a = SeededGenerator(seed: UInt64(count)), b = SeededGenerator(seed: UInt64(count))
            a.shuffleUpward(&ours)
            theirs.shuffle(using: &b)
            #expect(ours == theirs, "\(count) elements")
        }
        // And the order itself, recorded: it must never change.
        var fixed = Array(0..<10)
        var generator = SeededGenerator(seed: 42)
        generator.shuffleUpward(&fixed)
        #expect(fixed == Self.seed42)
    }

    static let seed42 = [0, 4, 7, 9, 3, 8, 5, 1, 2, 6]
}
