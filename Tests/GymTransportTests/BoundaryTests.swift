import CZeroMQ
import Foundation
import GymCatalog
import GymCore
import Testing
@testable import GymTransport

/// One request through a service: its reply as JSON.
func ask(_ service: SessionService, _ request: String) throws -> [String: JSONValue] {
    let reply = service.handle(Data(request.utf8))
    guard case .object(let fields) = try JSONValue.parse(reply) else { throw ProtocolError(.malformedJSON, "reply is not an object") }
    return fields
}

/// The error code of a reply, or nil when it succeeded.
func errorCode(_ reply: [String: JSONValue]) -> String? {
    guard case .object(let error)? = reply["error"], case .string(let code)? = error["code"] else { return nil }
    return code
}

func errorMessage(_ reply: [String: JSONValue]) -> String {
    guard case .object(let error)? = reply["error"], case .string(let message)? = error["message"] else { return "" }
    return message
}

/// A folder of its own under the temporary directory.
func temporaryFolder(_ label: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// The default design of an environment as a JSON object text.
func defaultDesignJSON(_ id: String) throws -> String {
    let space = try Catalog.registry.makeEnvironment(id).spec.space
    return String(decoding: RemoteEnvironment.json(space.defaultDesign).jsonData, as: UTF8.self)
}

/// What a client may reach: only what the server's command line names.
@Suite struct BoundaryTests {
    @Test func theCrashThatTookTheServerDownIsNowTwoRefusals() throws {
        // Once: a client set Supernet's cache_dir to /tmp/x.stl (the server made that folder), then opened
        // MemoryController-v0 with workload /tmp/x.stl, and the server died reading a folder as a trace.
        let service = SessionService(registry: Catalog.registry)
        let cache = try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "open", "environment": "Supernet-v1", "options": {"cache_dir": "/tmp/x.stl", "epochs": 2}}"#)
        #expect(errorCode(cache) == "forbidden", "\(cache)")
        #expect(errorMessage(cache).contains("clients cannot set it"))
        let folder = try temporaryFolder("x").appendingPathExtension("stl")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trace = try ask(service, #"{"protocol": "designgym/1", "id": 2, "op": "open", "environment": "MemoryController-v0", "workload": "\#(folder.path)"}"#)
        #expect(errorCode(trace) == "forbidden", "\(trace)")
        // Even where files are allowed, a folder is not a trace: an error reply, and the server goes on.
        let allowing = SessionService(registry: Catalog.registry, settings: .init(files: try FileAccess(allowing: folder.deletingLastPathComponent().path)))
        let inside = try ask(allowing, #"{"protocol": "designgym/1", "id": 3, "op": "open", "environment": "MemoryController-v0", "workload": "\#(folder.lastPathComponent)"}"#)
        #expect(errorCode(inside) == "invalid_option" && errorMessage(inside).contains("it is a directory"), "\(inside)")
        #expect(try ask(allowing, #"{"protocol": "designgym/1", "id": 4, "op": "ping"}"#)["ok"] == .bool(true))
    }

    @Test func clientsReadFilesOnlyInsideTheAllowedFolder() throws {
        let root = try temporaryFolder("allowed")
        let outside = try temporaryFolder("outside")
        let trace = "0: read 0x0\n4: read 0x40\n8: write 0x80\n"
        try trace.write(to: root.appendingPathComponent("mine.stl"), atomically: true, encoding: .utf8)
        try trace.write(to: outside.appendingPathComponent("theirs.stl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("escape.stl"),
                                                   withDestinationURL: outside.appendingPathComponent("theirs.stl"))
        let service = SessionService(registry: Catalog.registry, settings: .init(files: try FileAccess(allowing: root.path)))
        func open(_ workload: String, _ options: String = "{}") throws -> [String: JSONValue] {
            try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "open", "environment": "MemoryController-v0", "workload": "\#(workload)", "options": \#(options)}"#)
        }
        #expect(errorCode(try open("mine.stl")) == nil)  // relative to the folder
        #expect(errorCode(try open(root.appendingPathComponent("mine.stl").path)) == nil)
        #expect(errorCode(try open("random")) == nil)  // a named workload is no file
        for escape in ["../\(outside.lastPathComponent)/theirs.stl", outside.appendingPathComponent("theirs.stl").path, "escape.stl",
                       "/etc/passwd.stl", "missing.stl"] {
            let reply = try open(escape)
            #expect(errorCode(reply) == "forbidden", "\(escape): \(reply)")
            #expect(!errorMessage(reply).contains("root:"), "\(escape)")
        }
        // File options follow the same rule; their presets are no files.
        #expect(errorCode(try open("random", #"{"memspec": "MICRON_1Gb_DDR3-1600_8bit_G"}"#)) == nil)
        #expect(errorCode(try open("random", #"{"memspec": "/etc/passwd"}"#)) == "forbidden")
        #expect(errorCode(try open("random", #"{"addressmapping": "../x.json"}"#)) == "forbidden")
        // Without --allow-files, no file at all.
        let closed = SessionService(registry: Catalog.registry)
        let reply = try ask(closed, #"{"protocol": "designgym/1", "id": 1, "op": "open", "environment": "MemoryController-v0", "workload": "\#(root.appendingPathComponent("mine.stl").path)"}"#)
        #expect(errorCode(reply) == "forbidden" && errorMessage(reply).contains("--allow-files"), "\(reply)")
    }

    @Test func runawayEvaluationsTimeOutWhileOtherClientsAreServed() throws {
        let service = SessionService(registry: Catalog.registry, settings: .init(evaluationTimeout: 1.5))
        try withServer(service) { endpoint in
            let runaways: [(environment: String, options: String)] = [
                ("MemoryController-v0", #"{"requests": 1e8}"#),  // about 90 s of simulation, on the uniform workload
                ("Branin-v0", #"{"delay": 3600}"#),
                ("Accelerator-v0", #"{"mapper_restarts": 1000, "mapper_steps": 1000000}"#),
            ]
            let results = Slots<String>(count: runaways.count)
            let done = DispatchGroup()
            for (index, runaway) in runaways.enumerated() {
                done.enter()
                Thread {
                    defer { done.leave() }
                    do {
                        let client = try GymClient(endpoint: endpoint, timeout: 60)
                        let options = try JSONValue.parse(Data(runaway.options.utf8))
                        var arguments: [String: JSONValue] = ["environment": .string(runaway.environment), "options": options]
                        if runaway.environment == "MemoryController-v0" { arguments["workload"] = "uniform" }
                        guard case .object(let opened) = try client.request("open", arguments),
                              case .string(let session)? = opened["session"] else { return }
                        let design = try JSONValue.parse(Data(try defaultDesignJSON(runaway.environment).utf8))
                        let started = Date()
                        guard case .object(let result) = try client.request("evaluate", ["session": .string(session), "designs": [design]]),
                              case .array(let evaluations)? = result["evaluations"], case .object(let evaluation)? = evaluations.first else { return }
                        results.set(index, "\(evaluation["status"] == .string("timeout") ? "timeout" : "\(evaluation)") after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
                    } catch {
                        results.set(index, "error \(error)")
                    }
                }.start()
            }
            // Meanwhile a plain evaluation from another client is answered at once, again and again.
            Thread.sleep(forTimeInterval: 0.5)
            let client = try GymClient(endpoint: endpoint, timeout: 10)
            guard case .object(let opened) = try client.request("open", ["environment": "Branin-v0"]), case .string(let session)? = opened["session"] else {
                Issue.record("no session")
                return
            }
            for _ in 0..<5 {
                let started = Date()
                _ = try client.request("evaluate", ["session": .string(session), "designs": [["x1": 0, "x2_steps": 0, "variant": "standard"]]])
                #expect(Date().timeIntervalSince(started) < 1, "a Branin evaluation waited \(Date().timeIntervalSince(started)) s")
                Thread.sleep(forTimeInterval: 0.2)
            }
            done.wait()
            for (index, result) in results.values.enumerated() {
                // The limit is 1.5 s; opening Accelerator-v0 with these settings spends it too (its baseline).
                #expect(result?.hasPrefix("timeout after") == true, "\(runaways[index].environment): \(result ?? "no reply")")
            }
        }
    }

    @Test func argumentsOfTheWrongTypeAreErrorsNotIgnored() throws {
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"])
        let options = try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "open", "environment": "Branin-v0", "options": "noise=1"}"#)
        #expect(errorCode(options) == "bad_request" && errorMessage(options).contains("\"options\" is an object"), "\(options)")
        let workload = try ask(service, #"{"protocol": "designgym/1", "id": 2, "op": "describe", "environment": "Branin-v0", "workload": 7}"#)
        #expect(errorCode(workload) == "bad_request" && errorMessage(workload).contains("\"workload\" is a string"), "\(workload)")
    }

    @Test func idsAreEchoedExactlyAndLargeNumericSeedsRefused() throws {
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0"])
        for id in ["9007199254740993", "18446744073709551615", "-12345678901234567890", "1.0000000000000000001", "{\"run\": [1, 2]}", "\"a\""] {
            let reply = service.handle(Data(#"{"protocol": "designgym/1", "id": \#(id), "op": "ping"}"#.utf8))
            #expect(String(decoding: reply, as: UTF8.self) == #"{"id":\#(id),"ok":true,"result":{"pong":true}}"#)
        }
        let big = try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "describe", "environment": "Branin-v0", "seed": 9007199254740993}"#)
        #expect(errorCode(big) == "bad_request" && errorMessage(big).contains("decimal string"), "\(big)")
        #expect(errorCode(try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "describe", "environment": "Branin-v0", "seed": 1.5}"#)) == "bad_request")
        #expect(errorCode(try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "describe", "environment": "Branin-v0", "seed": 9007199254740992}"#)) == nil)
        #expect(errorCode(try ask(service, #"{"protocol": "designgym/1", "id": 1, "op": "describe", "environment": "Branin-v0", "seed": "18446744073709551615"}"#)) == nil)
    }

    @Test func tooLargeRepliesCarryTheRequestsID() throws {
        let service = SessionService(registry: Catalog.registry, messageLimit: 1024)
        let padding = String(repeating: "x", count: 4000)
        let reply = service.handle(Data(#"{"protocol": "designgym/1", "pad": "\#(padding)", "id": {"n": 18446744073709551615}, "op": "ping"}"#.utf8))
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.contains(#""id":{"n": 18446744073709551615}"#) && text.contains("too_large"), "\(text)")
        // When the id cannot be read, it is null.
        let unreadable = String(decoding: service.handle(Data(("{\"pad\": \"" + padding).utf8)), as: UTF8.self)
        #expect(unreadable.contains("\"id\":null") && unreadable.contains("too_large"))
    }

    @Test func aRequestIsExactlyOneFrame() throws {
        try withServer(SessionService(registry: Catalog.registry, environments: ["Branin-v0"])) { endpoint in
            let dealer = try ZMQSocket(type: ZMQ_DEALER)
            try dealer.connect(endpoint)
            let ping = Data(#"{"protocol": "designgym/1", "id": 5, "op": "ping"}"#.utf8)
            try dealer.send([ping, ping])
            let reply = try #require(try dealer.receive(timeout: 5000))
            #expect(reply.count == 1)
            let text = String(decoding: reply[0], as: UTF8.self)
            #expect(text.contains("bad_request") && text.contains("exactly one frame"), "\(text)")
            // A REQ client's empty delimiter is part of the envelope, and comes back with the reply.
            try dealer.send([Data(), ping])
            let request = try #require(try dealer.receive(timeout: 5000))
            #expect(request.count == 2 && request[0].isEmpty)
            #expect(String(decoding: request[1], as: UTF8.self) == #"{"id":5,"ok":true,"result":{"pong":true}}"#)
        }
    }

    @Test func fuzzedFileOptionsAndRunawaysNeverCrashOrStallTheServer() throws {
        let root = try temporaryFolder("fuzz-allowed")
        try "0: read 0x0\n".write(to: root.appendingPathComponent("ok.stl"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("folder.stl"), withIntermediateDirectories: true)
        let service = SessionService(registry: Catalog.registry, environments: ["Branin-v0", "MemoryController-v0", "Accelerator-v0", "DiffusionSampler-v1", "Supernet-v1"],
                                     settings: .init(evaluationTimeout: 0.1, files: try FileAccess(allowing: root.path)))
        try withServer(service) { endpoint in
            let raw = try ZMQSocket(type: ZMQ_DEALER)
            try raw.connect(endpoint)
            var generator = SeededGenerator(seed: 23)
            let paths = ["/etc/passwd", "/etc/shadow", "../../etc/passwd", "/dev/zero", "/proc/self/environ", "folder.stl", "ok.stl",
                         "/tmp", "", ".", "..", "ok.stl/..", #"\u0000"#, String(repeating: "a/", count: 300), "~/.ssh/id_rsa"]
            let environments = ["MemoryController-v0", "Accelerator-v0", "DiffusionSampler-v1", "Supernet-v1"]
            let keys = ["memspec", "addressmapping", "architecture", "mapping", "mixture", "cache_dir", "trace_clock_mhz", "requests"]
            func pick<T>(_ list: [T]) -> T { list[generator.nextInt(below: list.count)] }
            for index in 0..<150 {
                let path = pick(paths)
                let text: String
                switch index % 3 {
                case 0: text = #"{"protocol": "designgym/1", "id": \#(index), "op": "open", "environment": "\#(pick(environments))", "workload": "\#(path)"}"#
                case 1: text = #"{"protocol": "designgym/1", "id": \#(index), "op": "describe", "environment": "\#(pick(environments))", "options": {"\#(pick(keys))": "\#(path)"}}"#
                default: text = #"{"protocol": "designgym/1", "id": \#(index), "op": "open", "environment": "Branin-v0", "options": {"delay": \#(generator.nextInt(below: 5))}}"#
                }
                try raw.send([Data(text.utf8)])
                let reply = try #require(try raw.receive(timeout: 20_000), "no reply to \(text)")
                let fields = try #require(try? JSONValue.parseObject(reply.last!).fields)
                if case .object(let error)? = fields["error"], case .string(let message)? = error["message"] {
                    #expect(!message.contains("root:x") && !message.contains("PATH="), "\(message)")
                }
                // A runaway opened now is evaluated: it times out, and the next request is still answered.
                if index % 3 == 2, case .object(let opened)? = fields["result"], case .string(let session)? = opened["session"] {
                    try raw.send([Data(#"{"protocol": "designgym/1", "id": "e\#(index)", "op": "evaluate", "session": "\#(session)", "designs": [{"x1": 1, "x2_steps": 1, "variant": "standard"}]}"#.utf8)])
                    let evaluated = try #require(try raw.receive(timeout: 20_000))
                    let status = String(decoding: evaluated.last!, as: UTF8.self)
                    #expect(status.contains("\"status\":\"ok\"") || status.contains("\"status\":\"timeout\""), "\(status)")
                }
            }
            let client = try GymClient(endpoint: endpoint, timeout: 5)
            #expect(try client.request("ping") == .object(["pong": .bool(true)]))
        }
    }
}
