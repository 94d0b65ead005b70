import Foundation
import GymCore

/// One memory request as the trace player issues it: the earliest cycle of the memory clock at which
/// it reaches the controller, its byte address and its direction.
public struct MemoryRequest: Hashable, Sendable {
    public var time: Int
    public var address: UInt64
    public var isWrite: Bool

    public init(time: Int, address: UInt64, isWrite: Bool) {
        self.time = time
        self.address = address
        self.isWrite = isWrite
    }
}

/// A source of requests in issue order. Sources may stream from disk and may throw on a malformed line.
public protocol RequestStream {
    mutating func next() throws -> MemoryRequest?
}

/// A request stream over an array.
public struct ArrayRequestStream: RequestStream {
    private let requests: [MemoryRequest]
    private var index = 0
    public init(_ requests: [MemoryRequest]) { self.requests = requests }
    public mutating func next() -> MemoryRequest? {
        guard index < requests.count else { return nil }
        defer { index += 1 }
        return requests[index]
    }
}

/// A malformed trace line, with its file and line number.
public struct TraceError: Error, Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var reason: String
    public var description: String { "\(source):\(line): \(reason)" }
}

/// One parsed trace line, in ticks of the trace player's clock.
struct TraceLine: Hashable, Sendable {
    /// The line's number in its file, from 1.
    var number: Int
    var ticks: Int
    var bursts: Int
    var address: UInt64
    var isWrite: Bool
}

/// DRAMSys trace files: `.stl` (absolute times) and `.rstl` (times relative to the previous line), one
/// request per line: `<time>: [(<length>)] read|write 0x<hex address> [0x<data>]`; empty lines and lines
/// starting with `#` are skipped. A length (in bytes) must be a whole number of bursts; a longer
/// request becomes that many bursts at consecutive addresses.
public enum TraceFormat {
    /// Parses one line (without its newline). Returns nil for blank and comment lines.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, burstBytes: Int, source: String, number: Int) throws -> TraceLine? {
        var i = 0
        let n = line.count
        func skipSpace() { while i < n, line[i] == 32 || line[i] == 9 || line[i] == 13 { i += 1 } }
        // The message names the line and the column, never the line's text: a file's content stays private.
        func fail(_ reason: String) -> TraceError {
            TraceError(source: source, line: number, reason: "\(reason) (column \(i + 1)); expected '<time>: [(<length>)] read|write 0x<address>'")
        }
        guard n <= TraceFileReader.maximumLineLength else {
            throw TraceError(source: source, line: number, reason: "the line is longer than \(TraceFileReader.maximumLineLength) bytes, the limit")
        }
        skipSpace()
        if i == n || line[i] == 35 { return nil }  // blank or '#'
        var ticks = 0
        let timeStart = i
        while i < n, line[i] >= 48, line[i] <= 57 {
            let (product, overflow) = ticks.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw fail("the time is too large") }
            ticks = product + Int(line[i] - 48)
            i += 1
        }
        guard i > timeStart else { throw fail("the line does not start with a time") }
        guard i < n, line[i] == 58 else { throw fail("the time is not followed by ':'") }
        i += 1
        skipSpace()
        var bursts = 1
        if i < n, line[i] == 40 {  // '('
            i += 1
            var length = 0
            let lengthStart = i
            while i < n, line[i] >= 48, line[i] <= 57, length < 1 << 40 { length = length * 10 + Int(line[i] - 48); i += 1 }
            guard i > lengthStart, i < n, line[i] == 41 else { throw fail("the length is not a number in parentheses") }
            i += 1
            guard length > 0, length % burstBytes == 0 else {
                throw fail("the length \(length) is not a whole number of \(burstBytes)-byte bursts")
            }
            bursts = length / burstBytes
            skipSpace()
        }
        let isWrite: Bool
        func matches(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard i + count <= n else { return false }
            for k in 0..<count where line[i + k] | 0x20 != word.utf8Start[k] { return false }
            return true
        }
        if matches("read") {
            isWrite = false
            i += 4
        } else if matches("write") {
            isWrite = true
            i += 5
        } else {
            throw fail("the command is neither read nor write")
        }
        let afterCommand = i
        skipSpace()
        guard i > afterCommand, i + 2 <= n, line[i] == 48, line[i + 1] | 0x20 == 120 else {
            throw fail("the address is not a hexadecimal number starting with 0x")
        }
        i += 2
        var address: UInt64 = 0
        let addressStart = i
        while i < n {
            let c = line[i] | 0x20
            let digit: UInt64
            if c >= 48, c <= 57 { digit = UInt64(c - 48) } else if c >= 97, c <= 102 { digit = UInt64(c - 87) } else { break }
            guard address >> 60 == 0 else { throw fail("the address does not fit in 64 bits") }
            address = address << 4 | digit
            i += 1
        }
        guard i > addressStart else { throw fail("the address has no hexadecimal digits") }
        if i < n, line[i] != 32, line[i] != 9, line[i] != 13 { throw fail("the address has a stray character") }
        return TraceLine(number: number, ticks: ticks, bursts: bursts, address: address, isWrite: isWrite)
    }
}

/// Reads a trace file a chunk at a time, so a trace of any size streams from disk.
final class TraceFileReader {
    /// The longest line accepted, in bytes: a request line is a few dozen.
    static let maximumLineLength = 4096
    private let handle: FileHandle
    private let source: String
    private let burstBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let chunkSize: Int
    private(set) var lineNumber = 0

    init(path: String, burstBytes: Int, chunkSize: Int = 1 << 20) throws {
        self.chunkSize = chunkSize
        do {
            _ = try InputFile.size(path, what: "trace")
        } catch let error as InputFileError {
            throw MemoryConfigurationError(error.description)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MemoryConfigurationError("cannot open trace file '\(path)'")
        }
        self.handle = handle
        self.source = path
        self.burstBytes = burstBytes
    }

    deinit { try? handle.close() }

    /// The next request line, or nil at the end of the file.
    func nextLine() throws -> TraceLine? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                lineNumber += 1
                let lineStart = start
                start = newline + 1
                let parsed = try buffer.withUnsafeBufferPointer {
                    try TraceFormat.parse(UnsafeBufferPointer(rebasing: $0[lineStart..<newline]), burstBytes: burstBytes,
                                          source: source, number: lineNumber)
                }
                if let parsed { return parsed }
                continue
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                lineNumber += 1
                let lineStart = start
                start = buffer.count
                let parsed = try buffer.withUnsafeBufferPointer {
                    try TraceFormat.parse(UnsafeBufferPointer(rebasing: $0[lineStart...]), burstBytes: burstBytes,
                                          source: source, number: lineNumber)
                }
                if let parsed { return parsed }
                continue
            }
            buffer.removeFirst(start)
            start = 0
            guard buffer.count <= Self.maximumLineLength else {
                throw TraceError(source: source, line: lineNumber + 1, reason: "the line is longer than \(Self.maximumLineLength) bytes, the limit")
            }
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw TraceError(source: source, line: lineNumber + 1, reason: "the file cannot be read")
            }
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

/// How trace times become memory-clock cycles, and how bursts of a long request follow each other.
struct TraceTiming {
    /// The latest arrival a trace may ask for, in seconds of simulated time: an idle controller still
    /// refreshes every 7.8 µs, so a trace spanning hours would simulate for hours.
    static let maximumSpanSeconds = 100.0

    /// `.rstl`: each time is relative to the previous line's.
    var relative: Bool
    /// Memory clock cycles per trace-clock tick.
    var cyclesPerTick: Double
    var burstBytes: Int
    /// The latest arrival accepted, in memory cycles.
    var maximumCycle: Int

    private var lastTicks = 0
    init(relative: Bool, cyclesPerTick: Double, burstBytes: Int, maximumCycle: Int) {
        self.relative = relative
        self.cyclesPerTick = cyclesPerTick
        self.burstBytes = burstBytes
        self.maximumCycle = maximumCycle
    }

    /// The latest arrival accepted for a memory clock of `clockMHz`, in cycles.
    static func maximumCycle(clockMHz: Double) -> Int { Int(maximumSpanSeconds * clockMHz * 1e6) }

    /// The memory cycle of a line: the first memory-clock edge at or after the trace player's time.
    mutating func cycle(of line: TraceLine, source: String, number: Int) throws -> Int {
        var ticks = line.ticks
        if relative {
            let (sum, overflow) = lastTicks.addingReportingOverflow(line.ticks)
            ticks = overflow ? Int.max : sum
        }
        lastTicks = ticks
        let cycle = (Double(ticks) * cyclesPerTick - 1e-9).rounded(.up)
        guard cycle <= Double(maximumCycle) else {
            throw TraceError(source: source, line: number, reason: "the request arrives after cycle \(maximumCycle), \(Parameter.numberText(Self.maximumSpanSeconds)) s of simulated time, the limit for a trace")
        }
        return max(0, Int(cycle))
    }
}

/// A trace file as a request stream: parsed once and kept in memory when it is small, streamed from disk
/// when it is large.
public struct TraceFileStream: RequestStream {
    private let path: String
    private var timing: TraceTiming
    private var reader: TraceFileReader?
    private var lines: [TraceLine]
    private var index = 0
    private var pendingBursts = 0
    private var pending = MemoryRequest(time: 0, address: 0, isWrite: false)
    private var producedAny = false

    /// Files up to this size are parsed once per process and kept in memory.
    static let inMemoryLimit = 64 << 20

    /// A stream over `path`; `cyclesPerTick` is the memory clock over the trace player's clock. A request
    /// arriving after `maximumCycle` is an error, as is a trace without requests.
    public init(path: String, cyclesPerTick: Double, burstBytes: Int, maximumCycle: Int = .max) throws {
        try self.init(path: path, cyclesPerTick: cyclesPerTick, burstBytes: burstBytes, maximumCycle: maximumCycle,
                      inMemoryLimit: Self.inMemoryLimit)
    }

    init(path: String, cyclesPerTick: Double, burstBytes: Int, maximumCycle: Int = .max, inMemoryLimit: Int,
         chunkSize: Int = 1 << 20) throws {
        self.path = path
        timing = TraceTiming(relative: path.lowercased().hasSuffix(".rstl"), cyclesPerTick: cyclesPerTick, burstBytes: burstBytes,
                             maximumCycle: maximumCycle)
        let size = try InputFile.size(path, what: "trace")
        if size <= inMemoryLimit {
            lines = try TraceCache.shared.lines(path: path, burstBytes: burstBytes)
            reader = nil
        } else {
            lines = []
            reader = try TraceFileReader(path: path, burstBytes: burstBytes, chunkSize: chunkSize)
        }
    }

    /// Checks the whole trace before any simulation: it has requests, and none arrives after the limit.
    /// A trace too large to keep in memory is checked as it streams.
    public mutating func validate() throws {
        guard reader == nil else { return }
        guard !lines.isEmpty else { throw TraceError(source: path, line: 0, reason: "the trace has no requests") }
        var timing = self.timing
        for line in lines { _ = try timing.cycle(of: line, source: path, number: line.number) }
    }

    public mutating func next() throws -> MemoryRequest? {
        if pendingBursts > 0 {
            pendingBursts -= 1
            pending.address &+= UInt64(timing.burstBytes)
            return pending
        }
        var next: TraceLine?
        if let reader {
            next = try reader.nextLine()
        } else if index < lines.count {
            next = lines[index]
            index += 1
        }
        guard let line = next else {
            if !producedAny { throw TraceError(source: path, line: 0, reason: "the trace has no requests") }
            return nil
        }
        producedAny = true
        pending = MemoryRequest(time: try timing.cycle(of: line, source: path, number: line.number), address: line.address,
                                isWrite: line.isWrite)
        pendingBursts = line.bursts - 1
        return pending
    }
}

/// Parsed small trace files, keyed by path, size and modification time.
final class TraceCache: @unchecked Sendable {
    static let shared = TraceCache()
    private let lock = NSLock()
    private struct Key: Hashable { var path: String; var size: Int; var modified: Double; var burstBytes: Int }
    private var entries: [Key: [TraceLine]] = [:]

    func lines(path: String, burstBytes: Int) throws -> [TraceLine] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let key = Key(path: path, size: attributes?[.size] as? Int ?? -1,
                      modified: (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0, burstBytes: burstBytes)
        lock.lock()
        if let cached = entries[key] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let reader = try TraceFileReader(path: path, burstBytes: burstBytes)
        var lines: [TraceLine] = []
        while let line = try reader.nextLine() { lines.append(line) }
        lock.lock()
        if entries.count > 32 { entries.removeAll() }
        entries[key] = lines
        lock.unlock()
        return lines
    }
}

/// Synthetic traffic: sequential, uniformly random or strided addresses, a read fraction, and a pace.
public struct GeneratedTraffic: Hashable, Sendable {
    public enum Pattern: String, CaseIterable, Sendable { case sequential, uniform, strided }
    public var pattern: Pattern
    public var requests: Int
    /// Fraction of reads, 0…1.
    public var readFraction: Double
    /// Memory cycles between consecutive requests (0: all at once, limited only by the controller).
    public var interval: Int
    /// Bytes between consecutive addresses of the strided pattern.
    public var stride: Int
    /// Bytes of the address range the requests touch (wrapping for sequential and strided).
    public var footprint: Int
    public var seed: UInt64

    public init(pattern: Pattern, requests: Int, readFraction: Double = 1, interval: Int = 1, stride: Int = 64,
                footprint: Int = 1 << 30, seed: UInt64 = 0) {
        self.pattern = pattern
        self.requests = requests
        self.readFraction = readFraction
        self.interval = interval
        self.stride = stride
        self.footprint = footprint
        self.seed = seed
    }
}

/// The request stream of generated traffic; bursts are aligned to the burst size.
public struct GeneratedStream: RequestStream {
    private let traffic: GeneratedTraffic
    private let burstBytes: UInt64
    private var generator: SeededGenerator
    private var index = 0
    private var address: UInt64 = 0

    public init(_ traffic: GeneratedTraffic, burstBytes: Int) {
        self.traffic = traffic
        self.burstBytes = UInt64(burstBytes)
        generator = SeededGenerator(seed: traffic.seed)
    }

    public mutating func next() -> MemoryRequest? {
        guard index < traffic.requests else { return nil }
        let footprint = max(burstBytes, UInt64(traffic.footprint) / burstBytes * burstBytes)
        let current: UInt64
        switch traffic.pattern {
        case .sequential, .strided:
            current = address
            let step = traffic.pattern == .sequential ? burstBytes : UInt64(traffic.stride)
            address = (address + step) % footprint / burstBytes * burstBytes
        case .uniform:
            current = generator.next(upperBound: footprint / burstBytes) * burstBytes
        }
        let isWrite: Bool
        if traffic.readFraction >= 1 {
            isWrite = false
        } else if traffic.readFraction <= 0 {
            isWrite = true
        } else {
            isWrite = Double(generator.next() >> 11) * 0x1p-53 >= traffic.readFraction
        }
        defer { index += 1 }
        return MemoryRequest(time: index * traffic.interval, address: current, isWrite: isWrite)
    }
}
