import GymCore
/// What one simulation measured: counts in commands and cycles, latencies in cycles. `SimulationReport`
/// turns it into metrics with units.
public struct SimulationResult: Sendable {
    /// Requests completed (bursts), reads and writes.
    public var reads = 0
    public var writes = 0
    /// Read latencies in memory cycles, from entering the controller to the response, in completion order.
    public var readLatencies: [Int32] = []
    /// Sum of write latencies in cycles.
    public var writeLatencyTotal = 0
    /// Row hits, misses (bank closed) and conflicts (another row open), counted per request.
    public var rowHits = 0
    public var rowMisses = 0
    public var rowConflicts = 0
    /// Commands issued, by kind (PREA counted once per command; `prechargedBanks` counts banks PREA closed).
    public var commandCounts = [Int](repeating: 0, count: CommandKind.allCases.count)
    /// Banks closed by PREA commands.
    public var prechargeAllBanks = 0
    /// Simulated time in memory cycles: until the last response, refresh or auto-precharge ended.
    public var cycles = 0
    /// Per rank: cycles with at least one bank open or a refresh running.
    public var activeCycles: [Int] = []
    /// Per rank, commands by kind, for the energy model.
    public var rankCommandCounts: [[Int]] = []
    /// Per rank, banks closed by PREA.
    public var rankPrechargeAllBanks: [Int] = []
    /// Requests whose address had bits above the mapping (they wrap onto mapped locations).
    public var wrappedAddresses = 0
    /// Every command issued, when recording was asked for.
    public var commands: [IssuedCommand] = []

    public func count(_ kind: CommandKind) -> Int { commandCounts[Int(kind.rawValue)] }
}

/// A cycle-accurate DDR3/DDR4 memory controller and device model.
///
/// Requests pass an arbiter (transactions in flight limited by the Fifo and Reorder arbiters) and the
/// scheduler buffer's admission control, wait in per-bank queues, and are served by per-bank state
/// machines whose next command (ACT, PRE, RD/RDA, WR/WRA) depends on the scheduler and page policy.
/// Each cycle the command multiplexer issues, among the commands whose every timing constraint is met,
/// refresh work first and then the command of the oldest request; at most one command per channel per
/// cycle. Time jumps straight to the next cycle at which something can happen, which gives the same
/// schedule as ticking every cycle.
public struct ControllerSimulation {
    let spec: MemorySpec
    let mapping: AddressMapping
    let config: ControllerConfig
    let record: Bool

    // Geometry.
    private let ranksPerChannel: Int
    private let groupsPerRank: Int
    private let banksPerGroup: Int
    private let banksPerRank: Int
    private let rankCount: Int
    private let bankCount: Int
    private let addressLimit: UInt64

    // Distances in cycles.
    private let burst: Int
    private let readToWrite: Int, writeToReadShort: Int, writeToReadLong: Int, writeToPrecharge: Int
    private let rankSwitchRead: Int, rankSwitchReadToWrite: Int, rankSwitchWriteToRead: Int

    /// A bank's state, timing registers and cached next command, kept together for locality.
    struct Bank {
        /// The flat bank-group, rank and channel index of the bank.
        var group: Int, rank: Int, channel: Int
        var openRow = -1
        var nextAct = 0, nextPre = 0, nextRead = 0, nextWrite = 0
        var actTime = Int.min / 4
        /// True when the bank's last close was a PRE issued for a request that needed another row.
        var closedByConflict = false
        /// The chosen request's index in the bank queue (-1 when stale), its command and sequence number.
        var choice = -1
        var command = CommandKind.act
        var sequence = 0
        /// The command's earliest cycle when last computed: a lower bound while the command stays the
        /// same, since every timing register only ever moves later.
        var earliest = 0
    }

    /// Timing registers of a bank group or a rank: the earliest cycle of each command.
    struct Registers {
        var nextAct = 0, nextRead = 0, nextWrite = 0, nextPrechargeAll = 0, nextRefresh = 0
    }

    private var banks: [Bank]
    private var groups: [Registers]
    private var ranks: [Registers]
    private var queues: [[Queued]]
    private var activeBanks: [Int] = []
    private var activePosition: [Int]

    // Rank state.
    /// The last four ACT times of each rank, flat: rank × 4 + slot.
    private var fourActivates: [Int]
    private var fourActivatesNext: [Int]
    /// Banks drawing active current (an auto-precharge takes effect later) and banks with a row open.
    private var openBanks: [Int], openRows: [Int], activeSince: [Int], activeCycles: [Int]
    private var pullingIn: [Bool]
    /// Auto-precharges yet to take effect, as time << 10 | rank.
    private var pendingCloses = MinHeap()
    private var rankQueued: [Int]
    private var refreshDue: [Int], refreshOwed: [Int], refreshForced: [Bool]
    /// Commands by kind of each rank, flat: rank × kinds + kind.
    private var rankCommands: [Int]
    private var rankPrechargeAll: [Int]

    // Channel state.
    private var channelNextCommand: [Int]
    private var channelNextRead: [Int], channelNextWrite: [Int]
    private var lastDirectionWrite: [Bool]

    // Requests in flight, by sequence number.
    private var requests: [InFlight] = []
    private var requestBase = 0
    private var nextSequence = 0
    private var queuedReads = 0, queuedWrites = 0, queuedTotal = 0
    private var lastAdmittedBank = -1
    // Response order and arbiter slots.
    private var deliveredUpTo = 0
    private var lastDelivery = 0
    private var slotFrees = MinHeap()
    private var inFlight = 0
    private var lastEnd = 0

    private var result = SimulationResult()

    struct Queued {
        var sequence: Int
        var row: Int
        var isWrite: Bool
    }

    struct InFlight {
        var entry: Int
        var isWrite: Bool
        var completion = -1
        var neededActivate = false
        var conflict = false
    }

    public init(spec: MemorySpec, mapping: AddressMapping, config: ControllerConfig, recordCommands: Bool = false) {
        self.spec = spec
        self.mapping = mapping
        self.config = config
        self.record = recordCommands
        ranksPerChannel = spec.ranks
        groupsPerRank = spec.bankGroups
        banksPerGroup = spec.banksPerGroup
        banksPerRank = spec.banks
        rankCount = spec.channels * spec.ranks
        bankCount = rankCount * spec.banks
        let bits = mapping.addressBits
        addressLimit = bits >= 64 ? UInt64.max : (1 << UInt64(bits)) - 1
        let t = spec.timing
        burst = spec.burstCycles
        readToWrite = t.CL + burst + 2 - t.CWL
        writeToReadShort = t.CWL + burst + t.WTR_S
        writeToReadLong = t.CWL + burst + t.WTR_L
        writeToPrecharge = t.CWL + burst + t.WR
        rankSwitchRead = burst + t.CS
        rankSwitchReadToWrite = max(burst + t.CS, t.CL + burst + t.CS - t.CWL)
        rankSwitchWriteToRead = t.CWL + burst + t.CS - t.CL

        let banksPerGroup = spec.banksPerGroup, banksPerRank = spec.banks, ranksPerChannel = spec.ranks
        banks = (0..<bankCount).map {
            Bank(group: $0 / banksPerGroup, rank: $0 / banksPerRank, channel: $0 / (banksPerRank * ranksPerChannel))
        }
        groups = Array(repeating: Registers(), count: rankCount * spec.bankGroups)
        ranks = Array(repeating: Registers(), count: rankCount)
        queues = Array(repeating: [], count: bankCount)
        activePosition = Array(repeating: -1, count: bankCount)
        fourActivates = Array(repeating: Int.min / 4, count: 4 * rankCount)
        fourActivatesNext = Array(repeating: 0, count: rankCount)
        openBanks = Array(repeating: 0, count: rankCount)
        openRows = Array(repeating: 0, count: rankCount)
        pullingIn = Array(repeating: false, count: rankCount)
        activeSince = Array(repeating: 0, count: rankCount)
        activeCycles = Array(repeating: 0, count: rankCount)
        rankQueued = Array(repeating: 0, count: rankCount)
        refreshDue = Array(repeating: config.refreshPolicy == .allBank ? t.REFI : Int.max, count: rankCount)
        refreshOwed = Array(repeating: 0, count: rankCount)
        refreshForced = Array(repeating: false, count: rankCount)
        rankCommands = Array(repeating: 0, count: CommandKind.allCases.count * rankCount)
        rankPrechargeAll = Array(repeating: 0, count: rankCount)
        channelNextCommand = Array(repeating: 0, count: spec.channels)
        channelNextRead = Array(repeating: 0, count: spec.channels)
        channelNextWrite = Array(repeating: 0, count: spec.channels)
        lastDirectionWrite = Array(repeating: false, count: spec.channels)
    }

    // MARK: - Running

    /// The command the multiplexer would issue next: its earliest cycle, target and request.
    private struct Candidate {
        var time = Int.max
        var bank = -1
        var rank = -1
        var kind = CommandKind.act
        /// The request's sequence number; -1 for refresh work, which goes first on a tie.
        var sequence = Int.max

        @inline(__always)
        func isBeaten(byTime time: Int, sequence: Int) -> Bool {
            time < self.time || (time == self.time && sequence < self.sequence)
        }
    }

    /// The best candidate over every rank's refresh work and every bank's next command.
    private mutating func bestCandidate(refreshing: Bool) -> Candidate {
        var best = Candidate()
        if refreshing {
            for rank in 0..<rankCount where wantsRefresh(rank) {
                let channel = rank / ranksPerChannel
                let kind: CommandKind = openRows[rank] > 0 ? .prea : .ref
                let earliest = max(channelNextCommand[channel], kind == .prea ? ranks[rank].nextPrechargeAll : ranks[rank].nextRefresh)
                if best.isBeaten(byTime: earliest, sequence: -1) {
                    best = Candidate(time: earliest, bank: -1, rank: rank, kind: kind, sequence: -1)
                }
            }
        }
        for bank in activeBanks {
            consider(bank, into: &best, refreshing: refreshing)
        }
        return best
    }

    /// Lets `bank`'s next command compete with `best`.
    @inline(__always)
    private mutating func consider(_ bank: Int, into best: inout Candidate, refreshing: Bool) {
        let rank = banks[bank].rank
        if refreshing && refreshForced[rank] { return }
        if banks[bank].choice < 0 {
            choose(bank)
        } else if banks[bank].earliest > best.time {
            return
        }
        let kind = banks[bank].command
        let earliest = earliestTime(kind, bank: bank)
        banks[bank].earliest = earliest
        let sequence = banks[bank].sequence
        if best.isBeaten(byTime: earliest, sequence: sequence) {
            best = Candidate(time: earliest, bank: bank, rank: rank, kind: kind, sequence: sequence)
        }
    }

    /// Runs every request of `stream` to completion.
    ///
    /// The best candidate is kept between cycles: it changes only when a command is issued, refresh
    /// state changes, or a request joins a bank queue (then only that bank's command is reconsidered).
    public mutating func run<Stream: RequestStream>(_ stream: inout Stream) throws -> SimulationResult {
        var now = 0
        var lastAdmission = -1
        var pending = try stream.next()
        var pendingDecoded = pending.map { decode($0) }
        let arbiterLimited = config.arbiter != .simple
        let refreshing = config.refreshPolicy == .allBank
        var nextDue = refreshing ? spec.timing.REFI : Int.max
        var best = Candidate()
        var bestValid = false
        // The evaluation's deadline is checked every few thousand steps: cheap, and prompt enough.
        var stepsToCheck = 0
        while true {
            if stepsToCheck == 0 {
                try EvaluationDeadline.check()
                stepsToCheck = 4096
            }
            stepsToCheck -= 1
            applyCloses(upTo: now)
            if arbiterLimited { while let free = slotFrees.minimum, free <= now { slotFrees.removeMinimum(); inFlight -= 1 } }
            if now >= nextDue {
                advanceRefresh(to: now)
                nextDue = refreshDue.min() ?? Int.max
                bestValid = false
            }

            var admissionBlocked = false
            if let request = pending, request.time <= now, lastAdmission < now {
                let target = pendingDecoded!
                if canAdmit(request.isWrite) && (!arbiterLimited || inFlight < config.maxActiveTransactions) {
                    admit(request, target: target, at: now)
                    lastAdmission = now
                    pending = try stream.next()
                    pendingDecoded = pending.map { decode($0) }
                    if bestValid {
                        if best.bank == target.bank || (refreshing && best.sequence == -1) {
                            bestValid = false
                        } else {
                            consider(target.bank, into: &best, refreshing: refreshing)
                        }
                    }
                } else {
                    admissionBlocked = true
                }
            }
            if pending == nil && activeBanks.isEmpty { break }

            if !bestValid {
                best = bestCandidate(refreshing: refreshing)
                bestValid = true
            }
            if best.time <= now {
                if best.sequence == -1 {
                    issueRankCommand(best.kind, rank: best.rank, at: now)
                } else {
                    issue(best.kind, bank: best.bank, at: now)
                }
                bestValid = false
                continue
            }
            var next = best.time
            if let request = pending {
                if request.time > now {
                    next = min(next, request.time)
                } else if !admissionBlocked {
                    next = min(next, now + 1)
                } else if arbiterLimited, inFlight >= config.maxActiveTransactions, let free = slotFrees.minimum {
                    next = min(next, free)
                }
            }
            next = min(next, nextDue)
            guard next > now && next < Int.max else { throw SimulationError.stalled(cycle: now) }
            now = next
        }
        finish(at: now)
        return result
    }

    // MARK: - Admission

    @inline(__always)
    private func decode(_ request: MemoryRequest) -> (bank: Int, row: Int, wrapped: Bool) {
        let address = mapping.decode(request.address)
        let rank = address.channel * ranksPerChannel + address.rank
        let bank = (rank * groupsPerRank + address.bankGroup) * banksPerGroup + address.bank
        return (bank, address.row, request.address > addressLimit)
    }

    @inline(__always)
    private func canAdmit(_ isWrite: Bool) -> Bool {
        let size = config.requestBufferSize
        switch config.schedulerBuffer {
        case .bankwise: return lastAdmittedBank < 0 || queues[lastAdmittedBank].count < size
        case .readWrite: return queuedReads < size && queuedWrites < size
        case .shared: return queuedTotal < size
        }
    }

    private mutating func admit(_ request: MemoryRequest, target: (bank: Int, row: Int, wrapped: Bool), at now: Int) {
        let sequence = nextSequence
        nextSequence += 1
        // Requests before the in-order delivery point are finished and no longer looked at.
        let finished = deliveredUpTo - requestBase
        if finished > 4096 && finished > requests.count / 2 {
            requests.removeFirst(finished)
            requestBase = deliveredUpTo
        }
        requests.append(InFlight(entry: now, isWrite: request.isWrite))
        if target.wrapped { result.wrappedAddresses += 1 }
        let bank = target.bank
        if queues[bank].isEmpty {
            activePosition[bank] = activeBanks.count
            activeBanks.append(bank)
        }
        queues[bank].append(Queued(sequence: sequence, row: target.row, isWrite: request.isWrite))
        banks[bank].choice = -1
        lastAdmittedBank = bank
        rankQueued[bank / banksPerRank] += 1
        pullingIn[bank / banksPerRank] = false
        queuedTotal += 1
        if request.isWrite { queuedWrites += 1 } else { queuedReads += 1 }
        inFlight += 1
    }

    @inline(__always)
    private func request(_ sequence: Int) -> Int { sequence - requestBase }

    // MARK: - Scheduling

    /// Picks the bank's next request (scheduler) and the command it needs now (page policy).
    private mutating func choose(_ bank: Int) {
        let queue = queues[bank]
        let row = banks[bank].openRow
        var choice = 0
        if row >= 0 && config.scheduler != .fifo {
            var firstHit = -1
            let direction = lastDirectionWrite[bank / (banksPerRank * ranksPerChannel)]
            for index in queue.indices where queue[index].row == row {
                if firstHit < 0 { firstHit = index }
                if config.scheduler == .frFcfs || queue[index].isWrite == direction {
                    firstHit = index
                    break
                }
            }
            if firstHit >= 0 { choice = firstHit }
        }
        let chosen = queue[choice]
        banks[bank].choice = choice
        banks[bank].sequence = chosen.sequence
        if row < 0 {
            banks[bank].command = .act
        } else if row != chosen.row {
            banks[bank].command = .pre
        } else {
            var autoPrecharge: Bool
            switch config.pagePolicy {
            case .open: autoPrecharge = false
            case .closed: autoPrecharge = true
            case .openAdaptive, .closedAdaptive:
                var furtherHit = false
                for index in queue.indices where index != choice && queue[index].row == row {
                    furtherHit = true
                    break
                }
                autoPrecharge = config.pagePolicy == .closedAdaptive ? !furtherHit : (queue.count > 1 && !furtherHit)
            }
            banks[bank].command = chosen.isWrite ? (autoPrecharge ? .wra : .wr) : (autoPrecharge ? .rda : .rd)
        }
    }

    @inline(__always)
    private func earliestTime(_ kind: CommandKind, bank: Int) -> Int {
        let group = banks[bank].group
        let rank = banks[bank].rank
        let channel = banks[bank].channel
        var earliest = channelNextCommand[channel]
        switch kind {
        case .act:
            earliest = max(earliest, banks[bank].nextAct, groups[group].nextAct, ranks[rank].nextAct,
                           fourActivates[rank &* 4 &+ fourActivatesNext[rank]] + spec.timing.FAW)
        case .pre:
            earliest = max(earliest, banks[bank].nextPre)
        case .rd, .rda:
            earliest = max(earliest, banks[bank].nextRead, groups[group].nextRead, ranks[rank].nextRead, channelNextRead[channel])
        case .wr, .wra:
            earliest = max(earliest, banks[bank].nextWrite, groups[group].nextWrite, ranks[rank].nextWrite, channelNextWrite[channel])
        case .prea, .ref:
            preconditionFailure("rank commands are not bank commands")
        }
        return earliest
    }

    private mutating func issue(_ kind: CommandKind, bank: Int, at now: Int) {
        let t = spec.timing
        let group = bank / banksPerGroup
        let rank = bank / banksPerRank
        let channel = rank / ranksPerChannel
        let choice = banks[bank].choice
        let chosen = queues[bank][choice]
        channelNextCommand[channel] = now + 1
        rankCommands[rank * CommandKind.allCases.count + Int(kind.rawValue)] += 1
        result.commandCounts[Int(kind.rawValue)] += 1
        if record {
            let firstRank = channel * ranksPerChannel
            result.commands.append(IssuedCommand(
                time: now, kind: kind, channel: channel, rank: rank - firstRank, bankGroup: group % groupsPerRank,
                bank: bank % banksPerGroup, row: kind == .act ? chosen.row : max(banks[bank].openRow, 0)))
        }
        switch kind {
        case .act:
            banks[bank].openRow = chosen.row
            banks[bank].actTime = now
            banks[bank].nextRead = max(banks[bank].nextRead, now + t.RCD)
            banks[bank].nextWrite = max(banks[bank].nextWrite, now + t.RCD)
            banks[bank].nextPre = max(banks[bank].nextPre, now + t.RAS)
            banks[bank].nextAct = max(banks[bank].nextAct, now + t.RC)
            groups[group].nextAct = max(groups[group].nextAct, now + t.RRD_L)
            ranks[rank].nextAct = max(ranks[rank].nextAct, now + t.RRD_S)
            ranks[rank].nextPrechargeAll = max(ranks[rank].nextPrechargeAll, now + t.RAS)
            ranks[rank].nextRefresh = max(ranks[rank].nextRefresh, now + t.RC)
            fourActivates[rank * 4 + fourActivatesNext[rank]] = now
            fourActivatesNext[rank] = (fourActivatesNext[rank] + 1) & 3
            let index = request(chosen.sequence)
            requests[index].neededActivate = true
            requests[index].conflict = banks[bank].closedByConflict
            if openBanks[rank] == 0 { activeSince[rank] = now }
            openBanks[rank] += 1
            openRows[rank] += 1
        case .pre:
            banks[bank].openRow = -1
            openRows[rank] -= 1
            banks[bank].closedByConflict = true
            banks[bank].nextAct = max(banks[bank].nextAct, now + t.RP)
            ranks[rank].nextRefresh = max(ranks[rank].nextRefresh, now + t.RP)
            close(rank: rank, at: now)
        case .rd, .rda, .wr, .wra:
            let isRead = kind.isRead
            let firstRank = channel * ranksPerChannel
            for other in firstRank..<(firstRank + ranksPerChannel) {
                if other == rank {
                    if isRead {
                        ranks[rank].nextRead = max(ranks[rank].nextRead, now + t.CCD_S)
                        ranks[rank].nextWrite = max(ranks[rank].nextWrite, now + readToWrite)
                    } else {
                        ranks[rank].nextWrite = max(ranks[rank].nextWrite, now + t.CCD_S)
                        ranks[rank].nextRead = max(ranks[rank].nextRead, now + writeToReadShort)
                    }
                } else if isRead {
                    ranks[other].nextRead = max(ranks[other].nextRead, now + rankSwitchRead)
                    ranks[other].nextWrite = max(ranks[other].nextWrite, now + rankSwitchReadToWrite)
                } else {
                    ranks[other].nextWrite = max(ranks[other].nextWrite, now + rankSwitchRead)
                    ranks[other].nextRead = max(ranks[other].nextRead, now + rankSwitchWriteToRead)
                }
            }
            if isRead {
                channelNextRead[channel] = max(channelNextRead[channel], now + burst)
                groups[group].nextRead = max(groups[group].nextRead, now + t.CCD_L)
                banks[bank].nextPre = max(banks[bank].nextPre, now + t.RTP)
                ranks[rank].nextPrechargeAll = max(ranks[rank].nextPrechargeAll, now + t.RTP)
            } else {
                channelNextWrite[channel] = max(channelNextWrite[channel], now + burst)
                groups[group].nextWrite = max(groups[group].nextWrite, now + t.CCD_L)
                groups[group].nextRead = max(groups[group].nextRead, now + writeToReadLong)
                banks[bank].nextPre = max(banks[bank].nextPre, now + writeToPrecharge)
                ranks[rank].nextPrechargeAll = max(ranks[rank].nextPrechargeAll, now + writeToPrecharge)
            }
            lastDirectionWrite[channel] = !isRead
            if kind == .rda || kind == .wra {
                // The device holds the implied precharge until tRAS has passed since the ACT.
                let closeAt = max(now + (isRead ? t.RTP : writeToPrecharge), banks[bank].actTime + t.RAS)
                banks[bank].openRow = -1
                openRows[rank] -= 1
                banks[bank].closedByConflict = false
                banks[bank].nextAct = max(banks[bank].nextAct, closeAt + t.RP)
                ranks[rank].nextRefresh = max(ranks[rank].nextRefresh, closeAt + t.RP)
                pendingCloses.insert(closeAt << 10 | rank)
                lastEnd = max(lastEnd, closeAt)
            }
            complete(chosen, at: now + (isRead ? t.CL : t.CWL) + burst)
            // The request leaves the scheduler buffer.
            queues[bank].remove(at: choice)
            rankQueued[rank] -= 1
            queuedTotal -= 1
            if chosen.isWrite { queuedWrites -= 1 } else { queuedReads -= 1 }
            if queues[bank].isEmpty {
                let position = activePosition[bank]
                let last = activeBanks.removeLast()
                if last != bank {
                    activeBanks[position] = last
                    activePosition[last] = position
                }
                activePosition[bank] = -1
            }
            if config.scheduler == .frFcfsGrp {
                for other in activeBanks where other / (banksPerRank * ranksPerChannel) == channel { banks[other].choice = -1 }
            }
        case .prea, .ref:
            preconditionFailure("rank commands are not bank commands")
        }
        banks[bank].choice = -1
    }

    /// Records a completed request: its latency and, through the response queue, its delivery.
    private mutating func complete(_ queued: Queued, at completion: Int) {
        let index = request(queued.sequence)
        requests[index].completion = completion
        if requests[index].neededActivate {
            if requests[index].conflict { result.rowConflicts += 1 } else { result.rowMisses += 1 }
        } else {
            result.rowHits += 1
        }
        if config.respQueue == .fifo {
            deliver(index, at: completion)
        }
        // In-order delivery (Reorder response queue) and in-order slot release (Reorder arbiter).
        while deliveredUpTo < nextSequence {
            let position = request(deliveredUpTo)
            let finished = requests[position].completion
            guard finished >= 0 else { break }
            let delivery = max(finished, lastDelivery)
            lastDelivery = delivery
            if config.respQueue == .reorder { deliver(position, at: delivery) }
            if config.arbiter == .reorder { slotFrees.insert(delivery) }
            deliveredUpTo += 1
        }
        if config.arbiter == .fifo && config.respQueue == .fifo { slotFrees.insert(completion) }
    }

    private mutating func deliver(_ index: Int, at delivery: Int) {
        let latency = delivery - requests[index].entry
        if requests[index].isWrite {
            result.writes += 1
            result.writeLatencyTotal += latency
        } else {
            result.reads += 1
            result.readLatencies.append(Int32(clamping: latency))
        }
        if config.arbiter == .fifo && config.respQueue == .reorder { slotFrees.insert(delivery) }
        if config.arbiter == .simple { inFlight -= 1 }
        lastEnd = max(lastEnd, delivery)
    }

    // MARK: - Refresh

    private mutating func advanceRefresh(to now: Int) {
        for rank in 0..<rankCount where refreshDue[rank] <= now {
            while refreshDue[rank] <= now {
                refreshOwed[rank] += 1
                refreshDue[rank] += spec.timing.REFI
            }
            if refreshOwed[rank] > config.refreshMaxPostponed { refreshForced[rank] = true }
        }
    }

    /// A refresh is forced once more than RefreshMaxPostponed are owed. While the rank has no queued
    /// request, owed refreshes are caught up; after a refresh issued on an idle rank, up to
    /// RefreshMaxPulledin more are pulled in while it stays idle.
    @inline(__always)
    private func wantsRefresh(_ rank: Int) -> Bool {
        refreshForced[rank]
            || (rankQueued[rank] == 0 && (refreshOwed[rank] > 0 || (pullingIn[rank] && refreshOwed[rank] > -config.refreshMaxPulledin)))
    }

    private mutating func issueRankCommand(_ kind: CommandKind, rank: Int, at now: Int) {
        let t = spec.timing
        let channel = rank / ranksPerChannel
        channelNextCommand[channel] = now + 1
        rankCommands[rank * CommandKind.allCases.count + Int(kind.rawValue)] += 1
        result.commandCounts[Int(kind.rawValue)] += 1
        if record {
            result.commands.append(IssuedCommand(time: now, kind: kind, channel: channel, rank: rank % ranksPerChannel))
        }
        let firstBank = rank * banksPerRank
        switch kind {
        case .prea:
            for bank in firstBank..<(firstBank + banksPerRank) where banks[bank].openRow >= 0 {
                banks[bank].openRow = -1
                banks[bank].closedByConflict = false
                banks[bank].nextAct = max(banks[bank].nextAct, now + t.RP)
                rankPrechargeAll[rank] += 1
                result.prechargeAllBanks += 1
                close(rank: rank, at: now)
                banks[bank].choice = -1
            }
            openRows[rank] = 0
            ranks[rank].nextAct = max(ranks[rank].nextAct, now + t.RP)
            ranks[rank].nextRefresh = max(ranks[rank].nextRefresh, now + t.RP)
        case .ref:
            ranks[rank].nextAct = max(ranks[rank].nextAct, now + t.RFC)
            ranks[rank].nextRefresh = max(ranks[rank].nextRefresh, now + t.RFC)
            ranks[rank].nextPrechargeAll = max(ranks[rank].nextPrechargeAll, now + t.RFC)
            activeCycles[rank] += t.RFC
            lastEnd = max(lastEnd, now + t.RFC)
            refreshOwed[rank] -= 1
            refreshForced[rank] = refreshOwed[rank] > config.refreshMaxPostponed
            pullingIn[rank] = rankQueued[rank] == 0
        default:
            preconditionFailure("\(kind) is not a rank command")
        }
    }

    // MARK: - Background accounting

    private mutating func close(rank: Int, at time: Int) {
        openBanks[rank] -= 1
        if openBanks[rank] == 0 { activeCycles[rank] += time - activeSince[rank] }
    }

    /// Applies auto-precharges that have taken effect by `now`, in time order.
    private mutating func applyCloses(upTo now: Int) {
        while let next = pendingCloses.minimum, next >> 10 <= now {
            pendingCloses.removeMinimum()
            close(rank: next & 1023, at: next >> 10)
        }
    }

    private mutating func finish(at now: Int) {
        let end = max(lastEnd, now)
        applyCloses(upTo: Int.max)
        for rank in 0..<rankCount where openBanks[rank] > 0 {
            activeCycles[rank] += end - activeSince[rank]
            activeSince[rank] = end
        }
        result.cycles = end
        result.activeCycles = activeCycles
        let kinds = CommandKind.allCases.count
        result.rankCommandCounts = (0..<rankCount).map { Array(rankCommands[($0 * kinds)..<(($0 + 1) * kinds)]) }
        result.rankPrechargeAllBanks = rankPrechargeAll
    }
}

/// A binary min-heap of cycle numbers.
struct MinHeap {
    private var items: [Int] = []
    var minimum: Int? { items.first }

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[parent] > items[child] else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func removeMinimum() {
        let last = items.removeLast()
        guard !items.isEmpty else { return }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { break }
            var smallest = left
            if left + 1 < items.count && items[left + 1] < items[left] { smallest = left + 1 }
            guard items[smallest] < items[parent] else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A simulation that cannot go on.
public enum SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No command or request could ever happen again: a bug in the model, reported instead of looping.
    case stalled(cycle: Int)

    /// A sentence saying what happened.
    public var description: String {
        switch self {
        case .stalled(let cycle): return "the controller stalled at cycle \(cycle): no command can be issued and no request arrives"
        }
    }
}
