import Foundation
import GymCore

/// The memory controller's knobs, with DRAMSys `mcconfig` names and semantics.
public struct ControllerConfig: Hashable, Sendable {
    public enum PagePolicy: String, CaseIterable, Sendable { case open = "Open", openAdaptive = "OpenAdaptive", closed = "Closed", closedAdaptive = "ClosedAdaptive" }
    public enum Scheduler: String, CaseIterable, Sendable { case fifo = "Fifo", frFcfs = "FrFcfs", frFcfsGrp = "FrFcfsGrp" }
    public enum SchedulerBuffer: String, CaseIterable, Sendable { case bankwise = "Bankwise", readWrite = "ReadWrite", shared = "Shared" }
    public enum RespQueue: String, CaseIterable, Sendable { case fifo = "Fifo", reorder = "Reorder" }
    public enum RefreshPolicy: String, CaseIterable, Sendable { case noRefresh = "NoRefresh", allBank = "AllBank" }
    public enum Arbiter: String, CaseIterable, Sendable { case simple = "Simple", fifo = "Fifo", reorder = "Reorder" }

    public var pagePolicy: PagePolicy = .open
    public var scheduler: Scheduler = .frFcfs
    public var schedulerBuffer: SchedulerBuffer = .bankwise
    public var requestBufferSize = 8
    public var respQueue: RespQueue = .fifo
    public var refreshPolicy: RefreshPolicy = .allBank
    public var refreshMaxPostponed = 0
    public var refreshMaxPulledin = 0
    public var arbiter: Arbiter = .simple
    public var maxActiveTransactions = 128

    public init() {}

    /// Request buffer sizes in the space: ArchGym's 1…8, then powers of two to 128.
    public static let requestBufferSizes: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128]

    /// The knobs as a parameter space; defaults are DRAMSys's example FR-FCFS configuration.
    public static let space = ParameterSpace([
        .categorical("PagePolicy", PagePolicy.allCases.map(\.rawValue), default: "Open",
                     summary: "Open keeps rows open; Closed auto-precharges; the adaptive ones decide per request from the waiting requests"),
        .categorical("Scheduler", Scheduler.allCases.map(\.rawValue), default: "FrFcfs",
                     summary: "per-bank order: arrival (Fifo), row hits first (FrFcfs), row hits of the current direction first (FrFcfsGrp)"),
        .categorical("SchedulerBuffer", SchedulerBuffer.allCases.map(\.rawValue), default: "Bankwise",
                     summary: "admission control: per bank of the last request, reads and writes apart, or one shared count"),
        .ordinal("RequestBufferSize", requestBufferSizes, default: 8, summary: "the admission limit N of the scheduler buffer", unit: "requests"),
        .categorical("RespQueue", RespQueue.allCases.map(\.rawValue), default: "Fifo",
                     summary: "Fifo returns responses as they complete; Reorder returns them in request order"),
        .categorical("RefreshPolicy", RefreshPolicy.allCases.map(\.rawValue), default: "AllBank", summary: "all-bank refresh every tREFI, or none"),
        .integer("RefreshMaxPostponed", 0...8, default: 0, summary: "refreshes that may be postponed while the rank is busy", unit: "refreshes"),
        .integer("RefreshMaxPulledin", 0...8, default: 0, summary: "refreshes that may be pulled in while the rank is idle", unit: "refreshes"),
        .categorical("Arbiter", Arbiter.allCases.map(\.rawValue), default: "Simple",
                     summary: "front end: Simple forwards at once; Fifo and Reorder limit transactions in flight (Reorder returns them in order)"),
        // On a log scale: its effect lies almost entirely below 32, where throughput is limited by it.
        .integer("MaxActiveTransactions", 1...128, logScale: true, default: 128,
                 summary: "transactions in flight, enforced by the Fifo and Reorder arbiters only", unit: "transactions"),
    ])

    /// The configuration a (validated) design stands for.
    public init(_ design: Design) {
        func text(_ name: String) -> String { design[name]?.string ?? "" }
        func number(_ name: String) -> Int { Int(design[name]?.number ?? 0) }
        pagePolicy = PagePolicy(rawValue: text("PagePolicy")) ?? .open
        scheduler = Scheduler(rawValue: text("Scheduler")) ?? .frFcfs
        schedulerBuffer = SchedulerBuffer(rawValue: text("SchedulerBuffer")) ?? .bankwise
        requestBufferSize = max(1, number("RequestBufferSize"))
        respQueue = RespQueue(rawValue: text("RespQueue")) ?? .fifo
        refreshPolicy = RefreshPolicy(rawValue: text("RefreshPolicy")) ?? .allBank
        refreshMaxPostponed = number("RefreshMaxPostponed")
        refreshMaxPulledin = number("RefreshMaxPulledin")
        arbiter = Arbiter(rawValue: text("Arbiter")) ?? .simple
        maxActiveTransactions = max(1, number("MaxActiveTransactions"))
    }

    /// The design of this configuration.
    public var design: Design {
        Design([
            "PagePolicy": .string(pagePolicy.rawValue), "Scheduler": .string(scheduler.rawValue),
            "SchedulerBuffer": .string(schedulerBuffer.rawValue), "RequestBufferSize": .int(requestBufferSize),
            "RespQueue": .string(respQueue.rawValue), "RefreshPolicy": .string(refreshPolicy.rawValue),
            "RefreshMaxPostponed": .int(refreshMaxPostponed), "RefreshMaxPulledin": .int(refreshMaxPulledin),
            "Arbiter": .string(arbiter.rawValue), "MaxActiveTransactions": .int(maxActiveTransactions),
        ])
    }

    /// mcconfig keys DRAMSys reads that this model accepts only at the value it models, and that value.
    static let fixedKeys: [String: JSONValue] = [
        "CmdMux": .string("Oldest"), "PowerDownPolicy": .string("NoPowerDown"), "RefreshManagement": .bool(false),
    ]

    /// The design values of a DRAMSys mcconfig object: `{"mcconfig": {…}}` or the bare inner object.
    /// Keys the model does not vary (CmdMux, PowerDownPolicy, RefreshManagement) must hold the one value
    /// it models; per-bank and same-bank refresh are rejected as DRAMSys rejects them for DDR3 and DDR4.
    public static func designValues(fromMCConfig json: JSONValue) throws -> [String: ParameterValue] {
        guard case .object(var object) = json else {
            throw DesignError.malformed("an mcconfig must be a JSON object")
        }
        if object.count == 1, case .object(let inner)? = object["mcconfig"] { object = inner }
        var values: [String: ParameterValue] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            if let fixed = fixedKeys[key] {
                guard value == fixed else {
                    throw DesignError.malformed("mcconfig \(key)=\(value) is not modelled; only \(key)=\(fixed) is")
                }
                continue
            }
            if key == "RefreshPolicy", case .string(let policy) = value, ["PerBank", "Per2Bank", "SameBank"].contains(policy) {
                throw DesignError.malformed(
                    "mcconfig RefreshPolicy=\(policy) is rejected: DDR3 and DDR4 refresh all banks at once (per-bank and same-bank refresh belong to LPDDR4, DDR5 and HBM); use AllBank or NoRefresh")
            }
            guard space.parameter(named: key) != nil else {
                let allowed = space.parameters.map(\.name) + fixedKeys.keys.sorted()
                throw DesignError.malformed("mcconfig has key '\(key)', which is not modelled; the keys are: \(allowed.joined(separator: ", "))")
            }
            switch value {
            case .string(let text): values[key] = .string(text)
            case .number(let number): values[key] = number == number.rounded() ? .int(Int(number)) : .double(number)
            default: throw DesignError.malformed("mcconfig \(key) must be a string or a number, not \(value)")
            }
        }
        return values
    }
}
