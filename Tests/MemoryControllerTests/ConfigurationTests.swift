import Foundation
import GymCore
import Testing
@testable import MemoryController

/// DRAMSys configuration files, traces and controller configurations, and the errors for bad ones.
@Suite struct ConfigurationTests {
    static func temporaryFile(_ name: String, _ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func presetsReadBothKeySpellings() throws {
        // DRAMSys 5 spelling (nbrOfDevices) and 4.x spelling (nbrOfDevicesOnDIMM, DDR3 single timings).
        let ddr4 = MemorySpec.ddr4_2400R
        #expect(ddr4.standard == .ddr4 && ddr4.devices == 8 && ddr4.bankGroups == 4 && ddr4.banksPerGroup == 4)
        #expect(ddr4.timing.CL == 16 && ddr4.timing.CWL == 12 && ddr4.timing.RFC == 433 && ddr4.timing.REFI == 9364)
        #expect(ddr4.burstBytes == 64 && ddr4.peakBandwidth == 19.2)
        #expect(ddr4.capacity == 8 << 30)  // 8 devices × 8 Gb
        let ddr3 = MemorySpec.ddr3_1600
        #expect(ddr3.standard == .ddr3 && ddr3.devices == 8 && ddr3.bankGroups == 1 && ddr3.banks == 8)
        #expect(ddr3.timing.WTR_S == 6 && ddr3.timing.WTR_L == 6 && ddr3.timing.CCD_L == 4 && ddr3.timing.RRD_S == 5)
        #expect(ddr3.power.vdd == 1.5 && ddr3.power.idd02 == 0)
        let jedec = try MemorySpec.preset("JEDEC_4Gb_DDR4-2400_8bit_A")
        #expect(jedec.rows == 32768 && jedec.timing.CWL == 16)
    }

    @Test func badMemspecsNameTheField() throws {
        let missing = try Self.temporaryFile("m.json", #"{"memspec": {"memoryType": "DDR4", "memarchitecturespec": {}, "memtimingspec": {}, "mempowerspec": {}}}"#)
        #expect(throws: MemoryConfigurationError.self) { try MemorySpec.load(missing) }
        do {
            _ = try MemorySpec.load(missing)
        } catch let error as MemoryConfigurationError {
            #expect(error.description.contains("memarchitecturespec.nbrOfBankGroups"))
        }
        let lpddr = try Self.temporaryFile("l.json", #"{"memspec": {"memoryType": "LPDDR4", "memarchitecturespec": {}, "memtimingspec": {}, "mempowerspec": {}}}"#)
        do {
            _ = try MemorySpec.load(lpddr)
            Issue.record("LPDDR4 accepted")
        } catch let error as MemoryConfigurationError {
            #expect(error.description.contains("DDR3 and DDR4"))
        }
    }

    @Test func addressMappingsInBothWrappersDecode() throws {
        let ddr3 = AddressMapping.preset(for: MemorySpec.ddr3_1600)!  // CONGEN wrapper
        try ddr3.check(against: MemorySpec.ddr3_1600)
        // 0x12345678: bytes 0–2 = 0, column bits 3–12 = 0x2CF, bank bits 13–15 = 0b010... computed below.
        let address: UInt64 = 0x1234_5678
        let decoded = ddr3.decode(address)
        #expect(decoded.column == Int((address >> 3) & 0x3FF))
        #expect(decoded.bank == Int((address >> 13) & 0x7))
        #expect(decoded.row == Int((address >> 16) & 0x3FFF))
        let ddr4 = AddressMapping.preset(for: MemorySpec.ddr4_2400R)!  // addressmapping wrapper
        let d = ddr4.decode(UInt64(3) << 13 | UInt64(2) << 15 | UInt64(77) << 17)
        #expect(d.bankGroup == 3 && d.bank == 2 && d.row == 77 && d.column == 0)
        // XOR: bank bit 13 becomes 13 ⊕ 17.
        let xor = try AddressMapping.parse(Data(#"{"addressmapping": {"BYTE_BIT": [0,1,2], "COLUMN_BIT": [3,4,5,6,7,8,9,10,11,12], "BANKGROUP_BIT": [13,14], "BANK_BIT": [15,16], "ROW_BIT": [17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32], "XOR": [{"FIRST": 13, "SECOND": 17}]}}"#.utf8))
        #expect(xor.decode(UInt64(1) << 17).bankGroup == 1)
        #expect(xor.decode(UInt64(1) << 17 | UInt64(1) << 13).bankGroup == 0)
        // A mapping for another geometry is refused with the field named.
        do {
            try ddr3.check(against: MemorySpec.ddr4_2400R)
            Issue.record("a DDR3 mapping passed for DDR4")
        } catch let error as MemoryConfigurationError {
            #expect(error.description.contains("COLUMN_BIT") || error.description.contains("BANKGROUP_BIT"))
        }
    }

    @Test func traceLinesParseInDRAMSysFormat() throws {
        let text = """
            # a comment

            0:\tread\t0x400140
            5: (128) write 0x80 0xdeadbeef
            7:\tREAD\t0X1F
            """
        let path = try Self.temporaryFile("t.stl", text)
        var stream = try TraceFileStream(path: path, cyclesPerTick: 1, burstBytes: 64)
        var requests: [MemoryRequest] = []
        while let request = try stream.next() { requests.append(request) }
        #expect(requests == [
            MemoryRequest(time: 0, address: 0x400140, isWrite: false),
            MemoryRequest(time: 5, address: 0x80, isWrite: true),
            MemoryRequest(time: 5, address: 0xC0, isWrite: true),  // the second burst of the 128-byte write
            MemoryRequest(time: 7, address: 0x1F, isWrite: false),
        ])
        // Relative times, and a trace clock at half the memory clock: times double, rounded up to an edge.
        let relative = try Self.temporaryFile("t.rstl", "3: read 0x0\n4: read 0x40\n")
        var slow = try TraceFileStream(path: relative, cyclesPerTick: 2, burstBytes: 64)
        #expect(try slow.next()?.time == 6)
        #expect(try slow.next()?.time == 14)
    }

    @Test(arguments: [
        ("0: read 0x40\nread 0x80\n", 2, "does not start with a time"),
        ("0: read 0x40\n1 read 0x80\n", 2, "':'"),
        ("0: fetch 0x40\n", 1, "neither read nor write"),
        ("0: read 40\n", 1, "0x"),
        ("0: read 0x\n", 1, "no hexadecimal digits"),
        ("# header\n\n0: (100) read 0x0\n", 3, "whole number of 64-byte bursts"),
        ("0: read 0x4g\n", 1, "stray character"),
    ])
    func malformedTraceLinesAreReportedWithTheirLineNumber(_ text: String, _ line: Int, _ reason: String) throws {
        let path = try Self.temporaryFile("bad.stl", text)
        do {
            var stream = try TraceFileStream(path: path, cyclesPerTick: 1, burstBytes: 64)
            while try stream.next() != nil {}
            Issue.record("no error for \(text)")
        } catch let error as TraceError {
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains(":\(line):"))
        }
    }

    @Test func largeTracesStreamAcrossChunks() throws {
        // 5,000 lines read 37 bytes at a time, as a trace too large to keep in memory is read.
        let lines = (0..<5000).map { "\($0):\t\($0 % 3 == 0 ? "write" : "read")\t0x\(String($0 * 64, radix: 16))" }
        let path = try Self.temporaryFile("big.stl", lines.joined(separator: "\n"))
        var streamed = try TraceFileStream(path: path, cyclesPerTick: 1, burstBytes: 64, inMemoryLimit: 0, chunkSize: 37)
        var count = 0
        while let request = try streamed.next() {
            #expect(request.time == count && request.address == UInt64(count * 64) && request.isWrite == (count % 3 == 0))
            count += 1
        }
        #expect(count == 5000)
    }

    @Test func mcconfigFilesAreDesigns() throws {
        let environment = try MemoryControllerEnvironment(options: EnvironmentOptions())
        let url = BundledFile.url("policy-mcconfig.json")!
        let design = try environment.design(fromJSON: try String(contentsOf: url, encoding: .utf8))
        let canonical = try environment.spec.space.design(from: design.values, fillingDefaults: true)
        #expect(canonical["PagePolicy"] == .string("Open") && canonical["Scheduler"] == .string("Fifo"))
        #expect(canonical["RequestBufferSize"] == .int(1) && canonical["MaxActiveTransactions"] == .int(1))
        #expect(canonical["RefreshPolicy"] == .string("NoRefresh"))
        // The bare inner object works too.
        let bare = try environment.design(fromJSON: #"{"Scheduler": "FrFcfsGrp", "CmdMux": "Oldest"}"#)
        #expect(bare.values == ["Scheduler": .string("FrFcfsGrp")])
    }

    @Test(arguments: [
        (#"{"mcconfig": {"RefreshPolicy": "PerBank"}}"#, "per-bank"),
        (#"{"mcconfig": {"CmdMux": "Strict"}}"#, "CmdMux"),
        (#"{"mcconfig": {"PowerDownPolicy": "Staggered"}}"#, "PowerDownPolicy"),
        (#"{"mcconfig": {"Turbo": 1}}"#, "Turbo"),
    ])
    func configurationsDRAMSysWouldRejectAreRejected(_ text: String, _ named: String) throws {
        let environment = try MemoryControllerEnvironment(options: EnvironmentOptions())
        do {
            _ = try environment.design(fromJSON: text)
            Issue.record("accepted \(text)")
        } catch let error as DesignError {
            #expect(String(describing: error).contains(named), "\(error)")
        }
    }

    @Test func badOptionsAreTypedErrors() throws {
        func rejects(_ workload: String?, _ values: [String: String], _ key: String) {
            do {
                _ = try MemoryControllerEnvironment(options: EnvironmentOptions(workload: workload, values: values))
                Issue.record("accepted \(values)")
            } catch let error as EnvironmentError {
                if case .invalidOption(let found, _, _) = error { #expect(found == key, "\(error)") } else { Issue.record("\(error)") }
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        rejects(nil, ["memspec": "/no/such/file.json"], "memspec")
        rejects(nil, ["addressmapping": "/no/such/file.json"], "addressmapping")
        rejects("random", ["requests": "10"], "requests")
        rejects("uniform", ["requests": "-3"], "requests")
        rejects("uniform", ["read_fraction": "1.5"], "read_fraction")
        rejects("uniform", ["stride": "128"], "stride")
        rejects("/no/such/trace.stl", [:], "workload")
        // A DDR3 mapping with the DDR4 device: the geometry does not match.
        let ddr3Mapping = BundledFile.url("addressmappings/am_ddr3_8x1Gbx8_dimm_p1KB_rbc.json")!.path
        rejects(nil, ["addressmapping": ddr3Mapping], "addressmapping")
    }

    @Test func aTraceFileByPathRunsWithDRAMSysFiles() throws {
        // ArchGym's setting: the DDR3 device and its mapping, given as files, and a trace by path.
        let memspec = BundledFile.url("memspecs/MICRON_1Gb_DDR3-1600_8bit_G.json")!.path
        let mapping = BundledFile.url("addressmappings/am_ddr3_8x1Gbx8_dimm_p1KB_rbc.json")!.path
        let trace = try Self.temporaryFile("w.stl", (0..<200).map { "\($0 * 4): \($0 % 2 == 0 ? "read" : "write") 0x\(String($0 * 4096, radix: 16))" }.joined(separator: "\n"))
        let environment = try MemoryControllerEnvironment(options: EnvironmentOptions(
            workload: trace, values: ["memspec": memspec, "addressmapping": mapping]))
        #expect(environment.spec.workload == trace)
        let evaluation = environment.measure(environment.spec.space.defaultDesign)
        #expect(evaluation.status == .ok)
        #expect(evaluation.details["reads"] == .number(100) && evaluation.details["writes"] == .number(100))
        #expect(evaluation.metrics["write_latency_avg"]! > 0)
    }
}
