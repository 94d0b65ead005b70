import Foundation
import GymCatalog
import GymCore
import Testing
@testable import ProxyModels

/// Proxy files edited by hand, or by an attacker: each refused when decoded, with what is wrong.
@Suite struct HostileProxyTests {
    /// A saved proxy of `kind`, as a JSON object to tamper with.
    func tampered(_ kind: Regressor.Kind, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let path = ProxyFileTests.temporaryPath("\(kind).json")
        _ = try ProxyFileTests.braninProxy(path, kind: kind)
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&root)
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The model of "value" inside a proxy file's root (saved as `{kind: {"_0": model}}`).
    func model(_ root: inout [String: Any], _ kind: String, _ edit: (inout [String: Any]) -> Void) {
        var models = root["models"] as! [String: Any]
        var value = models["value"] as! [String: Any]
        var wrapper = value[kind] as! [String: Any]
        var body = wrapper["_0"] as! [String: Any]
        edit(&body)
        wrapper["_0"] = body
        value[kind] = wrapper
        models["value"] = value
        root["models"] = models
    }

    func refusal(_ path: String) -> String {
        do {
            _ = try ProxyFile.load(path)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func aSplitOnAFeatureTheDesignsDoNotHaveIsRefused() throws {
        // Once a crash: a forest node testing feature 999 of a three-parameter design.
        let path = try tampered(.forest) { root in
            model(&root, "forest") { forest in
                var ensemble = forest["ensemble"] as! [String: Any]
                var feature = (ensemble["feature"] as! [NSNumber]).map(\.intValue)
                let inner = feature.firstIndex { $0 >= 0 }!
                feature[inner] = 999
                ensemble["feature"] = feature
                forest["ensemble"] = ensemble
            }
        }
        #expect(refusal(path).contains("splits on feature 999, but designs have 3 features"), "\(refusal(path))")
    }

    @Test func anObliviousTestOfAnExtraFeatureIsRefused() throws {
        // Once a read past the design: borders for four features on a three-parameter space.
        let path = try tampered(.oblivious) { root in
            model(&root, "oblivious") { model in
                var borders = model["borders"] as! [Any]
                borders.append([0.5])
                model["borders"] = borders
            }
        }
        #expect(refusal(path).contains("its trees test 4 features, but designs have 3"), "\(refusal(path))")
    }

    @Test func aTreeDepthThatIsNotTheTreesIsRefused() throws {
        // Once a stall: a depth of 2·10^9 walked at every prediction.
        let path = try tampered(.boosted) { root in
            model(&root, "boosted") { boosted in
                var ensemble = boosted["ensemble"] as! [String: Any]
                var depths = (ensemble["depths"] as! [NSNumber]).map(\.intValue)
                depths[0] = 2_000_000_000
                ensemble["depths"] = depths
                boosted["ensemble"] = ensemble
            }
        }
        #expect(refusal(path).contains("says it is 2000000000 deep"), "\(refusal(path))")
        // A child pointing back at its parent would loop for ever: refused too.
        let loop = try tampered(.forest) { root in
            model(&root, "forest") { forest in
                var ensemble = forest["ensemble"] as! [String: Any]
                var first = (ensemble["first"] as! [NSNumber]).map(\.intValue)
                let feature = (ensemble["feature"] as! [NSNumber]).map(\.intValue)
                let inner = feature.indices.last { feature[$0] >= 0 && $0 > 0 }!
                first[inner] = 0
                ensemble["first"] = first
                forest["ensemble"] = ensemble
            }
        }
        #expect(refusal(loop).contains("a child before its parent"), "\(refusal(loop))")
    }

    @Test func leavesThatDoNotFitTheTreesAreRefused() throws {
        let path = try tampered(.oblivious) { root in
            model(&root, "oblivious") { model in
                model["leaves"] = [1.0, 2.0, 3.0]
            }
        }
        #expect(refusal(path).contains("do not match its depth, leaves and borders"), "\(refusal(path))")
        let mlp = try tampered(.mlp) { root in
            model(&root, "mlp") { model in
                var sizes = (model["sizes"] as! [NSNumber]).map(\.intValue)
                sizes[0] = 7
                model["sizes"] = sizes
            }
        }
        #expect(refusal(mlp).contains("do not run from 3 features to one output"), "\(refusal(mlp))")
    }

    @Test func aProxyWithoutModelsOrParametersIsRefused() throws {
        let empty = try tampered(.forest) { $0["models"] = [String: Any]() }
        #expect(refusal(empty).contains("the proxy has no model"), "\(refusal(empty))")
        let noSpace = try tampered(.forest) { root in
            var spec = root["spec"] as! [String: Any]
            spec["space"] = ["parameters": [Any](), "constraints": [Any]()]
            root["spec"] = spec
        }
        #expect(refusal(noSpace).contains("has no parameters"), "\(refusal(noSpace))")
        let stranger = try tampered(.forest) { root in
            var models = root["models"] as! [String: Any]
            models["watts"] = models["value"]
            root["models"] = models
        }
        #expect(refusal(stranger).contains("a model of 'watts', which Branin-v0 does not report"), "\(refusal(stranger))")
    }

    @Test func heldOutDesignsNeverSitInTrainingToo() throws {
        // The same designs logged by two agents (as runs without the cache do): the held-out agent's
        // designs are test data only.
        let environment = try Catalog.registry.makeEnvironment("Branin-v0")
        var generator = SeededGenerator(seed: 4)
        let designs = (0..<40).map { _ in environment.spec.space.sample(using: &generator) }
        let trials = designs.enumerated().map { Trial(number: $0.offset, design: $0.element, evaluation: environment.measure($0.element), reward: nil) }
        let test = try Dataset(trials: Array(trials[20...]), space: environment.spec.space, metrics: ["value"])
        let train = try Dataset(trials: trials, space: environment.spec.space, metrics: ["value"], excluding: Set(test.designHashes))
        #expect(test.count == 20 && train.count == 20)
        #expect(Set(train.designHashes).isDisjoint(with: test.designHashes))
    }
}
