import Foundation
import GymCore
import Testing
@testable import MemoryController

/// Files and options that once crashed the simulator, hung it or produced nonsense, each refused with an
/// error naming the file and the problem.
@Suite struct HostileInputTests {
    func refusal(_ options: EnvironmentOptions) -> String? {
        do {
            _ = try MemoryControllerEnvironment(options: options)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aDirectoryNamedAsATraceIsAnErrorNotACrash() throws {
        // It once trapped inside FileHandle.readData and took the whole server down.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trace-dir-\(UUID().uuidString).stl")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let message = try #require(refusal(EnvironmentOptions(workload: folder.path)))
        #expect(message.contains("it is a directory"), "\(message)")
        #expect(refusal(EnvironmentOptions(workload: "/dev/zero.stl"))?.contains("no such file") == true)
    }

    @Test func anEmptyTraceIsAnErrorNotAZeroEnergyEvaluation() throws {
        let empty = try ConfigurationTests.temporaryFile("empty.stl", "# only a comment\n\n")
        #expect(refusal(EnvironmentOptions(workload: empty))?.contains("the trace has no requests") == true)
        // Streamed from disk, the same.
        var stream = try TraceFileStream(path: empty, cyclesPerTick: 1, burstBytes: 64, inMemoryLimit: 0)
        #expect(throws: TraceError.self) { try stream.next() }
    }

    @Test func traceLinesBeyondTheLengthLimitAreRefused() throws {
        let long = try ConfigurationTests.temporaryFile("long.stl", "0: read 0x0\n1: read 0x" + String(repeating: "0", count: 5000) + "40\n")
        let message = try #require(refusal(EnvironmentOptions(workload: long)))
        #expect(message.contains(":2:") && message.contains("longer than 4096 bytes"), "\(message)")
        // A file with no newline at all is not read into memory whole.
        let endless = try ConfigurationTests.temporaryFile("endless.stl", String(repeating: "1", count: 20_000))
        var stream = try TraceFileStream(path: endless, cyclesPerTick: 1, burstBytes: 64, inMemoryLimit: 0, chunkSize: 1024)
        #expect { try stream.next() } throws: { "\($0)".contains("longer than 4096 bytes") }
    }

    @Test func traceTimesBeyondTheSimulatedSpanAreRefusedUpFront() throws {
        // DDR4-2400R runs at 1200 MHz: 100 s of simulated time is 1.2·10^11 cycles.
        let limit = TraceTiming.maximumCycle(clockMHz: 1200)
        #expect(limit == 120_000_000_000)
        let late = try ConfigurationTests.temporaryFile("late.stl", "0: read 0x0\n\(limit + 1): read 0x40\n")
        let message = try #require(refusal(EnvironmentOptions(workload: late)))
        #expect(message.contains(":2:") && message.contains("100 s of simulated time"), "\(message)")
        let atLimit = try ConfigurationTests.temporaryFile("edge.stl", "0: read 0x0\n\(limit): read 0x40\n")
        #expect(refusal(EnvironmentOptions(workload: atLimit)) == nil)
        // Relative times that overflow 64 bits are the same error, not a crash.
        let overflow = try ConfigurationTests.temporaryFile("wrap.rstl", "9223372036854775807: read 0x0\n9223372036854775807: read 0x40\n")
        #expect(refusal(EnvironmentOptions(workload: overflow))?.contains("100 s of simulated time") == true)
    }

    @Test func generatedWorkloadsSpanningTooLongAreRefused() {
        // 10^8 requests one every 10^6 cycles would arrive over 10^14 cycles, far beyond 1.2·10^11.
        let message = refusal(EnvironmentOptions(workload: "uniform", values: ["requests": "100000000", "interval": "1000000"]))
        #expect(message?.contains("the limit is 120000000000 cycles") == true, "\(message ?? "accepted")")
        #expect(refusal(EnvironmentOptions(workload: "uniform", values: ["requests": "1000", "interval": "1000"])) == nil)
    }

    @Test func malformedLinesAreNamedWithoutQuotingTheFile() throws {
        let secret = try ConfigurationTests.temporaryFile("secret.stl", "0: read 0x0\nroot:x:0:0:hunter2:/root:/bin/bash\n")
        let message = try #require(refusal(EnvironmentOptions(workload: secret)))
        #expect(message.contains(":2:") && !message.contains("hunter2"), "\(message)")
    }

    @Test(arguments: [("vdd", "-1.2", "vdd must be"), ("idd0", "-60", "idd0 must be"), ("idd4r", "10", "idd4r (10.0 mA) must be at least idd3n")])
    func memspecsThatWouldGiveNegativeEnergyAreRefused(_ field: String, _ value: String, _ expected: String) throws {
        let preset = BundledFile.url("memspecs/DDR4-2400R_8Gb_x8.json")!
        var text = try String(contentsOf: preset, encoding: .utf8)
        let pattern = try Regex("\"\(field)\"\\s*:\\s*[0-9.]+")
        text.replace(pattern, with: "\"\(field)\": \(value)")
        let path = try ConfigurationTests.temporaryFile("negative.json", text)
        #expect { try MemorySpec.load(path) } throws: { "\($0)".contains(expected) }
    }
}
