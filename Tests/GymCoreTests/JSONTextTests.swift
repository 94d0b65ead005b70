import Foundation
import GymCore
import Testing

/// The fast JSON reader and writer agree with Foundation's, and refuse what is not JSON.
@Suite struct JSONTextTests {
    @Test(arguments: [
        #"{"b": [1, 2.5, -3e-7, true, false, null], "a": "x\"y\\z\n\u00e9\ud83d\ude00/"}"#,
        #"[]"#, #"{}"#, #"  [ {"k" : { } } , "" ]  "#, #"-0.0"#, #"12345678901234567"#, #"1.7976931348623157e308"#,
    ])
    func readsWhatFoundationReads(_ text: String) throws {
        let fast = try JSONValue.parse(Data(text.utf8))
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(fast == foundation)
        // Written and read back, the value is unchanged; keys come out sorted.
        #expect(try JSONValue.parse(fast.jsonData) == fast)
    }

    @Test func writesSortedCompactText() {
        let value: JSONValue = ["b": 1, "a": ["x": 0.5, "w": "a/b\t"], "c": [1, 2]]
        #expect(String(decoding: value.jsonData, as: UTF8.self) == #"{"a":{"w":"a/b\t","x":0.5},"b":1,"c":[1,2]}"#)
        #expect(String(decoding: JSONValue.number(0.1).jsonData, as: UTF8.self) == "0.1")
        #expect(String(decoding: JSONValue.number(1e300).jsonData, as: UTF8.self) == "1e+300")
    }

    @Test(arguments: [#"{"a": 1"#, #"[1,]"#, #"{"a" 1}"#, "01", #""\x""#, "tru", #"{"a": 1} x"#, "1e999", "\"a\u{01}b\"", #""\ud800""#])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(Data(text.utf8)) }
    }
}
