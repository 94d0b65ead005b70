import Foundation
import Testing
@testable import GymCore

@Suite struct DesignTests {
    @Test func sha256MatchesFIPSVectors() {
        // FIPS 180-2 appendix B.1 ("abc") and the empty message.
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // 56 bytes forces a second padding block (B.2).
        #expect(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func canonicalJSONSortsKeysAndHasNoWhitespace() {
        let design = Design(["c": .double(0.5), "b": "x", "a": 1])
        #expect(design.canonicalJSON == #"{"a":1,"b":"x","c":0.5}"#)
    }

    @Test func hashIsTheSHA256OfTheCanonicalJSON() {
        // sha256(b'{"a":1,"b":"x","c":0.5}') computed independently with Python's hashlib.
        let design = Design(["c": .double(0.5), "b": "x", "a": 1])
        #expect(design.hash == "5590db0fa6a59191cc91b83e04de74f3af1d163dbf8e1dcd2c5433ebc44849d0")
    }

    @Test func hashDoesNotDependOnInsertionOrder() {
        var first = Design([:])
        first["z"] = 1
        first["a"] = "q"
        let second = Design(["a": "q", "z": 1])
        #expect(first.hash == second.hash)
    }

    @Test func canonicalJSONEscapesStrings() {
        #expect(CanonicalJSON.quoted("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func parsingRejectsNonObjectsWithAMalformedError() throws {
        #expect(throws: DesignError.self) { try Design.parse(json: "[1, 2]") }
        #expect(throws: DesignError.self) { try Design.parse(json: "{\"a\": ") }
        #expect(throws: DesignError.self) { try Design.parse(json: "{\"a\": {\"b\": 1}}") }
    }

    @Test func parsingReadsNumbersStringsAndBooleans() throws {
        let design = try Design.parse(json: #"{"n": 3, "r": 2.5, "s": "open", "f": true}"#)
        #expect(design["n"] == .int(3))
        #expect(design["r"] == .double(2.5))
        #expect(design["s"] == .string("open"))
        #expect(design["f"] == .string("true"))
    }
}

@Suite struct SuggestionTests {
    @Test func slipsAreCaughtAndStrangersAreNot() {
        #expect(Suggestion.closest(to: "nosie", among: ["noise", "delay"]) == "noise")  // one swap
        #expect(Suggestion.closest(to: "budjet", among: ["name", "budget", "seeds"]) == "budget")  // one substitution
        #expect(Suggestion.closest(to: "acqusition", among: ["acquisition", "xi"]) == "acquisition")  // one insertion
        #expect(Suggestion.closest(to: "colour", among: ["name", "budget", "seeds"]) == nil)
        #expect(Suggestion.closest(to: "x", among: ["y"]) == "y")  // a one-letter name allows one edit
        #expect(Suggestion.phrase(for: "Branin-v1", among: ["Branin-v0", "Ackley-v0"]) == " (did you mean 'Branin-v0'?)")
    }
}
