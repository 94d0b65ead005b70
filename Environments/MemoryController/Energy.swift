/// DRAM energy by DRAMPower's (4.x, "legacy") equations, per device, multiplied out over the devices of
/// each rank: E(n, I) = n · tCK · I · V, with n in cycles, tCK in ns, I in mA and V in V, giving pJ.
///
/// - ACT: E(N_ACT · tRAS, IDD0 − IDD3N); PRE: E(N_PRE · (tRC − tRAS), IDD0 − IDD2N), where RDA and WRA
///   count as a column command plus a PRE, and PREA counts one PRE per bank it closes;
/// - RD: E(N_RD · BL/2, IDD4R − IDD3N); WR: E(N_WR · BL/2, IDD4W − IDD3N);
/// - REF: E(N_REF · tRFC, IDD5 − IDD3N);
/// - background: E(active cycles, IDD3N) + E(precharged cycles, IDD2N), active meaning at least one bank
///   of the rank open or a refresh running;
/// - the VPP domain repeats each term with the `…2` currents at VDD2 (zero where the memspec gives none).
public struct EnergyBreakdown: Hashable, Sendable {
    public var activate = 0.0
    public var precharge = 0.0
    public var read = 0.0
    public var write = 0.0
    public var refresh = 0.0
    public var backgroundActive = 0.0
    public var backgroundPrecharged = 0.0

    /// The whole energy, in pJ.
    public var total: Double { activate + precharge + read + write + refresh + backgroundActive + backgroundPrecharged }

    /// The terms by name, in pJ.
    public var terms: [(name: String, value: Double)] {
        [("act", activate), ("pre", precharge), ("rd", read), ("wr", write), ("ref", refresh),
         ("background_active", backgroundActive), ("background_precharged", backgroundPrecharged)]
    }

    /// The energy of one simulation.
    public init(spec: MemorySpec, result: SimulationResult) {
        let p = spec.power
        let t = spec.timing
        let tCK = spec.clockPeriod
        let devices = Double(spec.devices)
        /// E(n, I) over both domains, for a current pair (VDD, VPP).
        func energy(_ cycles: Int, _ vddCurrent: Double, _ vppCurrent: Double) -> Double {
            Double(cycles) * tCK * (vddCurrent * p.vdd + vppCurrent * p.vdd2) * devices
        }
        for rank in result.rankCommandCounts.indices {
            let counts = result.rankCommandCounts[rank]
            func n(_ kind: CommandKind) -> Int { counts[Int(kind.rawValue)] }
            let activates = n(.act)
            let precharges = n(.pre) + n(.rda) + n(.wra) + result.rankPrechargeAllBanks[rank]
            let reads = n(.rd) + n(.rda)
            let writes = n(.wr) + n(.wra)
            activate += energy(activates * t.RAS, p.idd0 - p.idd3n, p.idd02 - p.idd3n2)
            precharge += energy(precharges * (t.RC - t.RAS), p.idd0 - p.idd2n, p.idd02 - p.idd2n2)
            read += energy(reads * spec.burstCycles, p.idd4r - p.idd3n, p.idd4r2 - p.idd3n2)
            write += energy(writes * spec.burstCycles, p.idd4w - p.idd3n, p.idd4w2 - p.idd3n2)
            refresh += energy(n(.ref) * t.RFC, p.idd5 - p.idd3n, p.idd52 - p.idd3n2)
            let active = result.activeCycles[rank]
            backgroundActive += energy(active, p.idd3n, p.idd3n2)
            backgroundPrecharged += energy(result.cycles - active, p.idd2n, p.idd2n2)
        }
    }
}
