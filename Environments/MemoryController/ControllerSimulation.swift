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

    // Bank state.
    private var openRow: [Int]
    private var bankNextAct: [Int], bankNextPre: [Int], bankNextRead: [Int], bankNextWrite: [Int]
    private var bankActTime: [Int]
    /// True when the bank's last close was a PRE issued for a request that needed another row.
    private var closedByConflict: [Bool]
    private var queues: [[Queued]]
    private var activeBanks: [Int] = []
    private var activePosition: [Int]
    private var cachedChoice: [Int]  // index into the bank's queue; -1 when stale
    private var cachedCommand: [CommandKind]

    // Bank group state.
    private var groupNextAct: [Int], groupNextRead: [Int], groupNextWrite: [Int]

    // Rank state.
    private var rankNextAct: [Int], rankNextRead: [Int], rankNextWrite: [Int], rankNextPrechargeAll: [Int], rankNextRefresh: [Int]
    private var fourActivates: [[Int]]
    private var fourActivatesNext: [Int]
    /// Banks drawing active current (an auto-precharge takes effect later) and banks with a row open.
    private var openBanks: [Int], openRows: [Int], activeSince: [Int], activeCycles: [Int]
    private var pullingIn: [Bool]
    private var pendingCloses: [[Int]]
    private var rankQueued: [Int]
    private var refreshDue: [Int], refreshOwed: [Int], refreshForced: [Bool]
    private var rankCommands: [[Int]]
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
    private var lastColumnSequence = -1

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

        openRow = Array(repeating: -1, count: bankCount)
        bankNextAct = Array(repeating: 0, count: bankCount)
        bankNextPre = Array(repeating: 0, count: bankCount)
        bankNextRead = Array(repeating: 0, count: bankCount)
        bankNextWrite = Array(repeating: 0, count: bankCount)
        bankActTime = Array(repeating: Int.min / 4, count: bankCount)
        closedByConflict = Array(repeating: false, count: bankCount)
        queues = Array(repeating: [], count: bankCount)
        activePosition = Array(repeating: -1, count: bankCount)
        cachedChoice = Array(repeating: -1, count: bankCount)
        cachedCommand = Array(repeating: .act, count: bankCount)
        let groupCount = rankCount * spec.bankGroups
        groupNextAct = Array(repeating: 0, count: groupCount)
        groupNextRead = Array(repeating: 0, count: groupCount)
        groupNextWrite = Array(repeating: 0, count: groupCount)
        rankNextAct = Array(repeating: 0, count: rankCount)
        rankNextRead = Array(repeating: 0, count: rankCount)
        rankNextWrite = Array(repeating: 0, count: rankCount)
        rankNextPrechargeAll = Array(repeating: 0, count: rankCount)
        rankNextRefresh = Array(repeating: 0, count: rankCount)
        fourActivates = Array(repeating: Array(repeating: Int.min / 4, count: 4), count: rankCount)
        fourActivatesNext = Array(repeating: 0, count: rankCount)
        openBanks = Array(repeating: 0, count: rankCount)
        openRows = Array(repeating: 0, count: rankCount)
        pullingIn = Array(repeating: false, count: rankCount)
        activeSince = Array(repeating: 0, count: rankCount)
        activeCycles = Array(repeating: 0, count: rankCount)
        pendingCloses = Array(repeating: [], count: rankCount)
        rankQueued = Array(repeating: 0, count: rankCount)
        refreshDue = Array(repeating: config.refreshPolicy == .allBank ? t.REFI : Int.max, count: rankCount)
        refreshOwed = Array(repeating: 0, count: rankCount)
        refreshForced = Array(repeating: false, count: rankCount)
        rankCommands = Array(repeating: Array(repeating: 0, count: CommandKind.allCases.count), count: rankCount)
        rankPrechargeAll = Array(repeating: 0, count: rankCount)
        channelNextCommand = Array(repeating: 0, count: spec.channels)
        channelNextRead = Array(repeating: 0, count: spec.channels)
        channelNextWrite = Array(repeating: 0, count: spec.channels)
        lastDirectionWrite = Array(repeating: false, count: spec.channels)
    }

    // MARK: - Running

    /// Runs every request of `stream` to completion.
    public mutating func run<Stream: RequestStream>(_ stream: inout Stream) throws -> SimulationResult {
        var now = 0
        var lastAdmission = -1
        var pending = try stream.next()
        var pendingDecoded = pending.map { decode($0) }
        let arbiterLimited = config.arbiter != .simple
        let refreshing = config.refreshPolicy == .allBank
        while true {
            applyCloses(upTo: now)
            if arbiterLimited { while let free = slotFrees.minimum, free <= now { slotFrees.removeMinimum(); inFlight -= 1 } }
            if refreshing { advanceRefresh(to: now) }

            var admissionBlocked = false
            if let request = pending, request.time <= now, lastAdmission < now {
                let target = pendingDecoded!
                if canAdmit(request.isWrite) && (!arbiterLimited || inFlight < config.maxActiveTransactions) {
                    admit(request, target: target, at: now)
                    lastAdmission = now
                    pending = try stream.next()
                    pendingDecoded = pending.map { decode($0) }
                } else {
                    admissionBlocked = true
                }
            }

            if pending == nil && activeBanks.isEmpty { break }

            // The command to issue: refresh work first, then the oldest request's command.
            var bestTime = Int.max
            var bestBank = -1
            var bestRank = -1
            var bestKind = CommandKind.act
            var bestSequence = Int.max
            if refreshing {
                for rank in 0..<rankCount where wantsRefresh(rank) {
                    let channel = rank / ranksPerChannel
                    let kind: CommandKind = openRows[rank] > 0 ? .prea : .ref
                    let earliest = max(channelNextCommand[channel], kind == .prea ? rankNextPrechargeAll[rank] : rankNextRefresh[rank])
                    if earliest < bestTime || (earliest == bestTime && bestSequence != -1) {
                        bestTime = earliest
                        bestRank = rank
                        bestKind = kind
                        bestSequence = -1
                    }
                }
            }
            for bank in activeBanks {
                let rank = bank / banksPerRank
                if refreshing && refreshForced[rank] { continue }
                if cachedChoice[bank] < 0 { choose(bank) }
                let kind = cachedCommand[bank]
                let earliest = earliestTime(kind, bank: bank)
                let sequence = queues[bank][cachedChoice[bank]].sequence
                if earliest < bestTime || (earliest == bestTime && sequence < bestSequence) {
                    bestTime = earliest
                    bestBank = bank
                    bestRank = rank
                    bestKind = kind
                    bestSequence = sequence
                }
            }
            if bestTime <= now {
                if bestSequence == -1 {
                    issueRankCommand(bestKind, rank: bestRank, at: now)
                } else {
                    issue(bestKind, bank: bestBank, at: now)
                }
                continue
            }
            var next = bestTime
            if let request = pending {
                if request.time > now {
                    next = min(next, request.time)
                } else if !admissionBlocked {
                    next = min(next, now + 1)
                } else if arbiterLimited, inFlight >= config.maxActiveTransactions, let free = slotFrees.minimum {
                    next = min(next, free)
                }
            }
            if refreshing { for rank in 0..<rankCount { next = min(next, refreshDue[rank]) } }
            precondition(next > now && next < Int.max, "the controller stalled at cycle \(now)")
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
        cachedChoice[bank] = -1
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
        let row = openRow[bank]
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
        cachedChoice[bank] = choice
        if row < 0 {
            cachedCommand[bank] = .act
        } else if row != chosen.row {
            cachedCommand[bank] = .pre
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
            cachedCommand[bank] = chosen.isWrite ? (autoPrecharge ? .wra : .wr) : (autoPrecharge ? .rda : .rd)
        }
    }

    @inline(__always)
    private func earliestTime(_ kind: CommandKind, bank: Int) -> Int {
        let group = bank / banksPerGroup
        let rank = bank / banksPerRank
        let channel = rank / ranksPerChannel
        var earliest = channelNextCommand[channel]
        switch kind {
        case .act:
            earliest = max(earliest, bankNextAct[bank], groupNextAct[group], rankNextAct[rank],
                           fourActivates[rank][fourActivatesNext[rank]] + spec.timing.FAW)
        case .pre:
            earliest = max(earliest, bankNextPre[bank])
        case .rd, .rda:
            earliest = max(earliest, bankNextRead[bank], groupNextRead[group], rankNextRead[rank], channelNextRead[channel])
        case .wr, .wra:
            earliest = max(earliest, bankNextWrite[bank], groupNextWrite[group], rankNextWrite[rank], channelNextWrite[channel])
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
        let choice = cachedChoice[bank]
        let chosen = queues[bank][choice]
        channelNextCommand[channel] = now + 1
        rankCommands[rank][Int(kind.rawValue)] += 1
        result.commandCounts[Int(kind.rawValue)] += 1
        if record {
            let firstRank = channel * ranksPerChannel
            result.commands.append(IssuedCommand(
                time: now, kind: kind, channel: channel, rank: rank - firstRank, bankGroup: group % groupsPerRank,
                bank: bank % banksPerGroup, row: kind == .act ? chosen.row : max(openRow[bank], 0)))
        }
        switch kind {
        case .act:
            openRow[bank] = chosen.row
            bankActTime[bank] = now
            bankNextRead[bank] = max(bankNextRead[bank], now + t.RCD)
            bankNextWrite[bank] = max(bankNextWrite[bank], now + t.RCD)
            bankNextPre[bank] = max(bankNextPre[bank], now + t.RAS)
            bankNextAct[bank] = max(bankNextAct[bank], now + t.RC)
            groupNextAct[group] = max(groupNextAct[group], now + t.RRD_L)
            rankNextAct[rank] = max(rankNextAct[rank], now + t.RRD_S)
            rankNextPrechargeAll[rank] = max(rankNextPrechargeAll[rank], now + t.RAS)
            rankNextRefresh[rank] = max(rankNextRefresh[rank], now + t.RC)
            fourActivates[rank][fourActivatesNext[rank]] = now
            fourActivatesNext[rank] = (fourActivatesNext[rank] + 1) & 3
            let index = request(chosen.sequence)
            requests[index].neededActivate = true
            requests[index].conflict = closedByConflict[bank]
            if openBanks[rank] == 0 { activeSince[rank] = now }
            openBanks[rank] += 1
            openRows[rank] += 1
        case .pre:
            openRow[bank] = -1
            openRows[rank] -= 1
            closedByConflict[bank] = true
            bankNextAct[bank] = max(bankNextAct[bank], now + t.RP)
            rankNextRefresh[rank] = max(rankNextRefresh[rank], now + t.RP)
            close(rank: rank, at: now)
        case .rd, .rda, .wr, .wra:
            let isRead = kind.isRead
            let firstRank = channel * ranksPerChannel
            for other in firstRank..<(firstRank + ranksPerChannel) {
                if other == rank {
                    if isRead {
                        rankNextRead[rank] = max(rankNextRead[rank], now + t.CCD_S)
                        rankNextWrite[rank] = max(rankNextWrite[rank], now + readToWrite)
                    } else {
                        rankNextWrite[rank] = max(rankNextWrite[rank], now + t.CCD_S)
                        rankNextRead[rank] = max(rankNextRead[rank], now + writeToReadShort)
                    }
                } else if isRead {
                    rankNextRead[other] = max(rankNextRead[other], now + rankSwitchRead)
                    rankNextWrite[other] = max(rankNextWrite[other], now + rankSwitchReadToWrite)
                } else {
                    rankNextWrite[other] = max(rankNextWrite[other], now + rankSwitchRead)
                    rankNextRead[other] = max(rankNextRead[other], now + rankSwitchWriteToRead)
                }
            }
            if isRead {
                channelNextRead[channel] = max(channelNextRead[channel], now + burst)
                groupNextRead[group] = max(groupNextRead[group], now + t.CCD_L)
                bankNextPre[bank] = max(bankNextPre[bank], now + t.RTP)
                rankNextPrechargeAll[rank] = max(rankNextPrechargeAll[rank], now + t.RTP)
            } else {
                channelNextWrite[channel] = max(channelNextWrite[channel], now + burst)
                groupNextWrite[group] = max(groupNextWrite[group], now + t.CCD_L)
                groupNextRead[group] = max(groupNextRead[group], now + writeToReadLong)
                bankNextPre[bank] = max(bankNextPre[bank], now + writeToPrecharge)
                rankNextPrechargeAll[rank] = max(rankNextPrechargeAll[rank], now + writeToPrecharge)
            }
            lastDirectionWrite[channel] = !isRead
            if kind == .rda || kind == .wra {
                // The device holds the implied precharge until tRAS has passed since the ACT.
                let closeAt = max(now + (isRead ? t.RTP : writeToPrecharge), bankActTime[bank] + t.RAS)
                openRow[bank] = -1
                openRows[rank] -= 1
                closedByConflict[bank] = false
                bankNextAct[bank] = max(bankNextAct[bank], closeAt + t.RP)
                rankNextRefresh[rank] = max(rankNextRefresh[rank], closeAt + t.RP)
                pendingCloses[rank].append(closeAt)
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
                for other in activeBanks where other / (banksPerRank * ranksPerChannel) == channel { cachedChoice[other] = -1 }
            }
        case .prea, .ref:
            preconditionFailure("rank commands are not bank commands")
        }
        cachedChoice[bank] = -1
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
        rankCommands[rank][Int(kind.rawValue)] += 1
        result.commandCounts[Int(kind.rawValue)] += 1
        if record {
            result.commands.append(IssuedCommand(time: now, kind: kind, channel: channel, rank: rank % ranksPerChannel))
        }
        let firstBank = rank * banksPerRank
        switch kind {
        case .prea:
            for bank in firstBank..<(firstBank + banksPerRank) where openRow[bank] >= 0 {
                openRow[bank] = -1
                closedByConflict[bank] = false
                bankNextAct[bank] = max(bankNextAct[bank], now + t.RP)
                rankPrechargeAll[rank] += 1
                result.prechargeAllBanks += 1
                close(rank: rank, at: now)
                cachedChoice[bank] = -1
            }
            openRows[rank] = 0
            rankNextAct[rank] = max(rankNextAct[rank], now + t.RP)
            rankNextRefresh[rank] = max(rankNextRefresh[rank], now + t.RP)
        case .ref:
            rankNextAct[rank] = max(rankNextAct[rank], now + t.RFC)
            rankNextRefresh[rank] = max(rankNextRefresh[rank], now + t.RFC)
            rankNextPrechargeAll[rank] = max(rankNextPrechargeAll[rank], now + t.RFC)
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
        for rank in 0..<rankCount where !pendingCloses[rank].isEmpty {
            var closes = pendingCloses[rank]
            closes.sort()
            var applied = 0
            for time in closes where time <= now {
                close(rank: rank, at: time)
                applied += 1
            }
            closes.removeFirst(applied)
            pendingCloses[rank] = closes
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
        result.rankCommandCounts = rankCommands
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
