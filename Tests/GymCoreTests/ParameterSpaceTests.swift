import Testing
@testable import GymCore

/// A space with every kind of parameter, including log scales, steps and a constraint.
let mixedSpace = ParameterSpace([
    .categorical("policy", ["open", "closed", "adaptive"]),
    .integer("buffer", 1...8),
    .integer("stride", 0...20, step: 4),
    .integer("entries", 1...1024, logScale: true, default: 32),
    .real("rate", -2...3),
    .real("voltage", 0.001...10, logScale: true, default: 1),
    .ordinal("width", [1, 2, 4, 8, 16], default: 4),
    .ordinal("scale", [0.25, 0.5, 1.5]),
], constraints: [
    Constraint(name: "small", message: "buffer × width must be at most 64") { design in
        (design["buffer"]?.number ?? 0) * (design["width"]?.number ?? 0) <= 64
    },
])

@Suite struct ParameterSpaceTests {
    @Test func validationNamesTheParameterTheValueAndWhatIsAllowed() throws {
        var design = mixedSpace.defaultDesign
        design["policy"] = "sideways"
        #expect(throws: DesignError.invalidValue(parameter: "policy", value: "sideways",
                                                 allowed: #"one of "open", "closed", "adaptive""#)) {
            try mixedSpace.validate(design)
        }
        let error = DesignError.invalidValue(parameter: "policy", value: "sideways", allowed: #"one of "open", "closed", "adaptive""#)
        #expect(error.description == #"parameter 'policy' cannot be "sideways"; allowed: one of "open", "closed", "adaptive""#)
    }

    @Test func integersOffTheStepGridOrOutOfRangeAreRejected() throws {
        for bad: ParameterValue in [.int(5), .int(24), .int(-4), .double(4.5)] {
            var design = mixedSpace.defaultDesign
            design["stride"] = bad
            #expect(throws: DesignError.self) { try mixedSpace.validate(design) }
        }
        var design = mixedSpace.defaultDesign
        design["stride"] = .double(8)  // a whole real is accepted and becomes an integer
        #expect(try mixedSpace.validate(design)["stride"] == .int(8))
    }

    @Test func validationLeavesCanonicalDesignsAsTheyAreAndCanonicalisesTheRest() throws {
        var generator = SeededGenerator(seed: 4)
        for _ in 0..<200 {
            let design = mixedSpace.sample(using: &generator)
            #expect(try mixedSpace.validate(design) == design)
            #expect(try mixedSpace.validate(design).hash == design.hash)
        }
        // Every value present, but two not yet canonical: the real is quantised to its resolution (twelve
        // significant digits of the range's magnitude, 10 for −2…3: eleven decimals) and the ordinal given
        // as a real becomes the whole number it matches.
        var design = mixedSpace.defaultDesign
        design["rate"] = .double(1.234567890123456)
        design["width"] = .double(8)
        let valid = try mixedSpace.validate(design)
        #expect(valid["rate"] == .double(1.23456789012) && valid["width"] == .int(8))
        #expect(try mixedSpace.validate(valid) == valid)
    }

    @Test func unknownAndMissingParametersAreRejected() throws {
        var design = mixedSpace.defaultDesign
        design["colour"] = "red"
        #expect(throws: DesignError.unknownParameter("colour", known: mixedSpace.names)) { try mixedSpace.validate(design) }
        var missing = mixedSpace.defaultDesign
        missing["rate"] = nil
        #expect(throws: DesignError.missingParameter("rate")) { try mixedSpace.validate(missing) }
        #expect(try mixedSpace.design(from: missing.values, fillingDefaults: true)["rate"] == .double(0.5))
    }

    @Test func ordinalsAcceptListedValuesOnlyAndKeepWholeOnesAsIntegers() throws {
        var design = mixedSpace.defaultDesign
        design["width"] = .double(16)
        #expect(try mixedSpace.validate(design)["width"] == .int(16))
        design["width"] = 3
        #expect(throws: DesignError.self) { try mixedSpace.validate(design) }
        design["width"] = 4
        design["scale"] = .double(1.5)
        #expect(try mixedSpace.validate(design)["scale"] == .double(1.5))
    }

    @Test func defaultsAreDeclaredOrDerived() {
        let defaults = mixedSpace.defaultDesign
        #expect(defaults["policy"] == "open")
        #expect(defaults["buffer"] == 1)
        #expect(defaults["entries"] == 32)
        #expect(defaults["rate"] == .double(0.5))  // midpoint of −2…3
        #expect(defaults["width"] == 4)
        #expect(mixedSpace.contains(defaults))
    }

    @Test func malformedDefinitionsAreReportedWithTheParameter() throws {
        #expect(throws: SpaceDefinitionError.self) { try ParameterSpace(validating: [.categorical("a", [])]) }
        #expect(throws: SpaceDefinitionError.self) { try ParameterSpace(validating: [.integer("a", 0...3, logScale: true)]) }
        #expect(throws: SpaceDefinitionError.self) { try ParameterSpace(validating: [.ordinal("a", [2, 1])]) }
        #expect(throws: SpaceDefinitionError.self) { try ParameterSpace(validating: [.integer("a", 0...3), .real("a", 0...1)]) }
        #expect(throws: SpaceDefinitionError.self) { try ParameterSpace(validating: [.integer("a", 0...3, default: 9)]) }
    }

    @Test func sizeIsTheProductOfCardinalitiesOrInfinite() {
        // 3 choices × 8 buffers × 6 strides (0, 4, …, 20) × 5 widths = 720.
        let discrete = ParameterSpace([
            .categorical("policy", ["open", "closed", "adaptive"]), .integer("buffer", 1...8),
            .integer("stride", 0...20, step: 4), .ordinal("width", [1, 2, 4, 8, 16]),
        ])
        #expect(discrete.size == 720)
        #expect(discrete.allDesigns().count == 720)
        #expect(Set(discrete.allDesigns()).count == 720)
        #expect(mixedSpace.size == .infinity)
    }

    @Test func sampledDesignsAreValidCanonicalAndDeterministic() throws {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            let design = mixedSpace.sample(using: &a)
            #expect(design == mixedSpace.sample(using: &b))
            #expect((try? mixedSpace.validate(design)) == design)
        }
    }

    @Test func logScaleSamplingIsUniformInLogSpace() {
        // For entries ∈ [1, 1024] log-uniform, P(entries ≤ 32) = log(32)/log(1024) = 0.5 (rounding to the
        // nearest integer moves a little mass); a linear draw would give 32/1024 ≈ 0.03.
        var generator = SeededGenerator(seed: 4)
        let draws = (0..<20_000).map { _ in mixedSpace.sample(using: &generator)["entries"]!.number! }
        let share = Double(draws.filter { $0 <= 32 }.count) / Double(draws.count)
        #expect(share > 0.47 && share < 0.53)
        let volts = (0..<20_000).map { _ in mixedSpace.sample(using: &generator)["voltage"]!.number! }
        let below = Double(volts.filter { $0 < 0.1 }.count) / Double(volts.count)  // log(0.1/0.001)/log(10/0.001) = 2/4
        #expect(below > 0.47 && below < 0.53)
    }

    @Test func unitEncodingRoundTripsExactlyForEveryKind() {
        var generator = SeededGenerator(seed: 12)
        for _ in 0..<5000 {
            let design = mixedSpace.sample(using: &generator)
            let vector = mixedSpace.unitVector(design)
            #expect(vector.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(mixedSpace.design(fromUnitVector: vector) == design)
        }
    }

    @Test func oneHotEncodingRoundTripsAndHasOneBlockPerCategorical() {
        #expect(mixedSpace.oneHotWidth == 3 + 7)
        var generator = SeededGenerator(seed: 13)
        for _ in 0..<2000 {
            let design = mixedSpace.sample(using: &generator)
            let vector = mixedSpace.oneHotVector(design)
            #expect(vector[0..<3].reduce(0, +) == 1)
            #expect(mixedSpace.design(fromOneHotVector: vector) == design)
        }
    }

    @Test func unitCoordinatesFollowTheDeclaredScale() {
        let entries = mixedSpace.parameter(named: "entries")!
        // log2(32)/log2(1024) = 5/10.
        #expect(abs(entries.unitCoordinate(of: 32) - 0.5) < 1e-12)
        let policy = mixedSpace.parameter(named: "policy")!
        #expect(policy.unitCoordinate(of: "closed") == 0.5)  // centre of the middle third
        let width = mixedSpace.parameter(named: "width")!
        #expect(width.unitCoordinate(of: 8) == 0.75)  // rank 3 of 0…4
    }

    @Test func neighboursChangeExactlyOneParameterToAnAdjacentValue() {
        let design = mixedSpace.defaultDesign
        let neighbours = mixedSpace.neighbours(of: design)
        // policy: 2 other choices; buffer 1: only 2; stride 0: only 4; entries 32: 31 and 33;
        // rate, voltage: one move each way; width 4: 2 and 8; scale 0.25: only 0.5. Total 2+1+1+2+2+2+2+1 = 13.
        #expect(neighbours.count == 13)
        for neighbour in neighbours {
            let changed = mixedSpace.names.filter { neighbour[$0] != design[$0] }
            #expect(changed.count == 1)
            #expect(mixedSpace.contains(neighbour))
        }
    }

    @Test func constraintsMarkDesignsInfeasibleWithoutMakingThemInvalid() {
        var design = mixedSpace.defaultDesign
        design["buffer"] = 8
        design["width"] = 16
        #expect(mixedSpace.contains(design))
        #expect(!mixedSpace.isFeasible(design))
        #expect(mixedSpace.violatedConstraints(design).map(\.name) == ["small"])
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<200 { #expect(mixedSpace.isFeasible(mixedSpace.sampleFeasible(using: &generator)!)) }
    }

    @Test func spacesSurviveJSONWithConstraintsDescribed() throws {
        let data = try JSONEncoder().encode(mixedSpace)
        let decoded = try JSONDecoder().decode(ParameterSpace.self, from: data)
        #expect(decoded == mixedSpace)
        #expect(decoded.constraints.first?.message == "buffer × width must be at most 64")
    }
}

import Foundation
