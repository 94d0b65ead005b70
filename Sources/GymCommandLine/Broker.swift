import ArgumentParser
import Foundation
import GymCore
import GymStore
import GymTransport

struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve environments over ZeroMQ with their evaluations spread over worker processes.",
        discussion: """
            Clients speak designgym/1 to --bind exactly as to `gym serve`; every evaluation goes to a worker \
            (`gym worker --connect <workers endpoint>`, on this machine or others). A worker silent for \
            --liveness seconds is dead and its evaluation goes to another worker; an evaluation longer than \
            --timeout reports status `timeout` and its worker replaces itself. With --curve-secret, both endpoints \
            use CURVE: workers then need --curve-server-key (and, with --curve-clients, a listed key). Ctrl-C stops.
            Examples:
              gym broker --bind tcp://127.0.0.1:5555 --workers-bind tcp://127.0.0.1:5556
              gym worker --connect tcp://127.0.0.1:5556 &   # as many as you like
              gym run --remote tcp://127.0.0.1:5555 --env Branin-v0 --agent genetic \\
                  --batch-size 8
            Environments hosted by workers of their own (Python's designgym.work) are named with --hosted-env:
              gym broker --env Branin-v0 --hosted-env ZigZag-v0
              python zigzag_environment.py --connect tcp://127.0.0.1:5556 &
            `gym broker status <endpoint>` shows a running broker's workers, queue and sessions.
            """,
        subcommands: [BrokerStatus.self])

    @Option(name: .customLong("env"), help: "Environment to serve (repeatable); all registered ones when omitted.")
    var environments: [String] = []

    @Option(name: .customLong("hosted-env"), help: ArgumentHelp(
        "An environment workers of its own host, such as a Python designgym.work (repeatable); served once such a worker has announced its spec.",
        valueName: "id"))
    var hostedEnvironments: [String] = []

    @Option(help: "Endpoint clients connect to.")
    var bind: String = "tcp://127.0.0.1:5555"

    @Option(help: "Endpoint workers connect to.")
    var workersBind: String = "tcp://127.0.0.1:5556"

    @Flag(help: "Allow binding to addresses other machines can reach.")
    var allowRemote = false

    @Option(parsing: .unconditional, help: "Seconds an evaluation may run before it is reported as a timeout and its worker replaced; 0 for no limit.")
    var timeout: Double = SessionService.Settings.defaultTimeout

    @Option(help: ArgumentHelp("Let clients name files (traces, memspecs, networks) inside this folder, and nowhere else; workers read the same paths.", valueName: "dir"))
    var allowFiles: String?

    @Option(parsing: .unconditional, help: "Seconds of silence after which a worker is dead and its evaluation is re-queued.")
    var liveness: Double = 3

    @OptionGroup var curve: CurveServerOptions
    @OptionGroup var logging: SessionLoggingOptions

    func run() throws {
        let registry = CommandLineRegistry.current
        try checkServedEnvironments(environments, in: registry)
        for id in hostedEnvironments {
            guard !id.isEmpty, id.count <= 200, !id.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw CLIError("--hosted-env needs an environment id without spaces, such as ZigZag-v0, not \"\(id)\"")
            }
            if (try? registry.environment(id)) != nil {
                throw CLIError("--hosted-env \(id): DesignGym has an environment with that id (give it with --env); name the hosted one differently")
            }
        }
        let security = try curve.settings()
        let store = try logging.store()
        defer { store?.close() }
        let settings = try serviceSettings(timeout: timeout, allowFiles: allowFiles, logging: logging, store: store, workerName: "broker")
        let pool = try reportingErrors {
            try WorkerPool(endpoint: workersBind, allowRemote: allowRemote,
                           settings: WorkerPool.Settings(liveness: liveness, evaluationTimeout: settings.evaluationTimeout), curve: security,
                           log: logLine)
        }
        let workerEndpoint = try reportingErrors { try pool.start() }
        let pooled = PooledEnvironment.registry(registry, pool: pool, hosted: hostedEnvironments)
        let service = SessionService(registry: pooled, environments: environments.isEmpty ? [] : environments + hostedEnvironments, settings: settings)
        service.statusReport = { pool.status }
        let server = try reportingErrors { try GymServer(service: service, endpoint: bind, allowRemote: allowRemote, curve: security) }
        let endpoint = try reportingErrors { try server.start() }
        FileHandle.standardOutput.write(Data(
            "Brokering \(service.served.joined(separator: ", ")) on \(endpoint); workers connect to \(workerEndpoint). Ctrl-C stops.\n".utf8))
        waitForInterrupt()
        server.stop()
        pool.stop()
        service.shutdown()
        print("Stopped.")
    }
}

/// `gym broker status`: a running broker's workers, queue and sessions, from the `status` op.
struct BrokerStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running broker's (or server's) workers, queue and sessions.",
        discussion: """
            Asks the server at the endpoint clients use with the `status` op (docs/PROTOCOL.md). For each \
            worker: its name, the job it runs and how long since the broker heard from it. Exits 1 when no \
            server answers within --connect-timeout, so it serves as a health probe.
            Example:
              gym broker status tcp://127.0.0.1:5555
            """)

    @Argument(help: "The endpoint clients connect to (the broker's --bind).")
    var endpoint: String

    @Option(parsing: .unconditional, help: "Seconds to wait for an answer.")
    var connectTimeout: Double = GymClient.defaultConnectTimeout

    @Flag(help: "Print the status as JSON.")
    var json = false

    @OptionGroup var curve: CurveClientOptions

    func validate() throws {
        guard connectTimeout > 0, connectTimeout.isFinite else {
            throw ValidationError("--connect-timeout is a positive number of seconds, not \(connectTimeout)")
        }
    }

    func run() throws {
        let security = try curve.settings()
        let result = try reportingErrors { () throws -> JSONValue in
            let client = try GymClient(endpoint: endpoint, curve: security)
            try client.handshake(timeout: connectTimeout)
            return try client.request("status", timeout: connectTimeout)
        }
        if json {
            FileHandle.standardOutput.write(result.jsonData + Data("\n".utf8))
            return
        }
        guard case .object(let fields) = result else { throw CLIError("\(endpoint) answered the status op with \(result)") }
        func text(_ value: JSONValue?) -> String {
            switch value {
            case .string(let string)?: return string
            case .number(let number)?: return Parameter.numberText(number)
            default: return "?"
            }
        }
        let served: [String]
        if case .array(let ids)? = fields["environments"] { served = ids.map { text($0) } } else { served = [] }
        print("\(text(fields["server"])) at \(endpoint): serving \(served.isEmpty ? "nothing" : served.joined(separator: ", "))")
        print("sessions \(text(fields["sessions"])), studies \(text(fields["studies"]))")
        guard case .object(let pool)? = fields["pool"] else {
            print("no worker pool: a `gym serve`, which evaluates in its own process")
            return
        }
        print("queue: \(text(pool["queued"])) waiting, \(text(pool["running"])) running; since it started: \(text(pool["completed"])) completed, "
              + "\(text(pool["requeued"])) re-queued, \(text(pool["timed_out"])) timed out, \(text(pool["workers_lost"])) workers lost")
        var workers: [[String: JSONValue]] = []
        if case .array(let listed)? = pool["workers"] {
            for case .object(let worker) in listed { workers.append(worker) }
        }
        print("workers (\(workers.count)):")
        let width = workers.map { text($0["name"]).count }.max() ?? 0
        for worker in workers {
            let name = text(worker["name"])
            let job: String
            if case .number(let id)? = worker["job"] { job = "job \(Parameter.numberText(id))" } else { job = "idle" }
            var line = "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(job), heard \(text(worker["silent_seconds"])) s ago"
            if case .array(let hosts)? = worker["hosts"] { line += ", hosts \(hosts.map { text($0) }.joined(separator: ", "))" }
            print(line)
        }
    }
}

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate designs for a broker (gym broker) or a parallel run (gym run --workers).",
        discussion: """
            Connects to the broker's workers endpoint and evaluates one design at a time, sending heartbeats \
            meanwhile; it says "connected" when the broker first answers, and exits with status 1 when none \
            does within --connect-timeout (a wrong endpoint or CURVE key looks just like that). When the \
            broker abandons an evaluation that ran past its timeout, the worker starts afresh as a new \
            process. Ctrl-C or SIGTERM (a pre-empted node) stops it after the evaluation it is running, whose \
            result it hands in, and tells the broker it left; a second signal stops it at once.
            Example:
              gym worker --connect tcp://127.0.0.1:5556
            """)

    @Option(help: "The broker's workers endpoint.")
    var connect: String

    @Option(help: "Name shown in the broker's messages (default host:pid).")
    var name: String?

    @Option(help: "The broker's CURVE public key file (its .pub), when it runs with --curve-secret.")
    var curveServerKey: String?

    @Option(help: "With --curve-server-key: this worker's key file (default: a fresh key pair).")
    var curveSecret: String?

    @Option(parsing: .unconditional, help: "Seconds to wait for the broker's first answer before exiting with status 1.")
    var connectTimeout: Double = 60

    @Option(help: .hidden)
    var parent: Int32?

    @Flag(help: .hidden)
    var keysOnStdin = false

    func validate() throws {
        guard connectTimeout > 0, connectTimeout.isFinite else {
            throw ValidationError("--connect-timeout is a positive number of seconds, not \(connectTimeout)")
        }
    }

    func run() throws {
        // A parent that ignores SIGINT/SIGTERM (a `gym run` handling Ctrl-C) passes that on through exec.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        unblockTerminationSignals()
        var security = try CurveClientOptions.settings(serverKey: curveServerKey, secret: curveSecret)
        if keysOnStdin {
            // A local worker of `gym run --workers`: the run's keys come on standard input, kept out of `ps`.
            security = try Self.keysFromStandardInput()
        }
        if let parent, getppid() != parent { return }  // the run is already gone
        let worker = GymWorker(endpoint: connect, registry: CommandLineRegistry.current, name: name, curve: security, parent: parent)
        // A worker of `gym run --workers` (it has a parent) is its run's business: it stops at once when told.
        // One a scheduler started says when it reached the broker, gives up when none answers, and on a
        // signal finishes its evaluation first.
        let local = parent != nil
        var signals: [any DispatchSourceSignal] = []
        if !local {
            let endpoint = connect, patience = connectTimeout
            worker.onConnected = { logLine("worker \(worker.name) connected to \(endpoint)") }
            let watchdog = Thread {
                Thread.sleep(forTimeInterval: patience)
                guard !worker.hasConnected else { return }
                FileHandle.standardError.write(Data("""
                    Error: no broker answered at \(endpoint) within \(Parameter.numberText(patience)) s: is `gym broker` running with this \
                    --workers-bind endpoint, reachable from here, and (with CURVE) is --curve-server-key its public key?

                    """.utf8))
                Foundation.exit(1)
            }
            watchdog.name = "designgym.connect-timeout"
            watchdog.start()
            let signalled = SignalCount()
            signals = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if signalled.increment() > 1 { Foundation.exit(128 + number) }
                    logLine("worker \(worker.name): stopping after the evaluation it is running (signal again to stop at once)")
                    worker.stop()
                }
                source.resume()
                return source
            }
        }
        defer { signals.forEach { $0.cancel() } }
        let ending = try reportingErrors { try worker.run() }
        if ending == .orphaned { Foundation.exit(0) }  // whatever still runs goes with the process
        if ending == .replace {
            // A fresh process: the abandoned evaluation's thread goes with the old one. It reads the same
            // keys from a new standard input.
            if keysOnStdin, let keys = security?.keys, let server = security?.serverKey {
                var ends: [Int32] = [0, 0]
                guard pipe(&ends) == 0 else { throw CLIError("cannot restart the worker: \(String(cString: strerror(errno)))") }
                let text = Array("server \(server)\npublic \(keys.publicKey)\nsecret \(keys.secretKey)\n".utf8)
                _ = text.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
                close(ends[1])
                dup2(ends[0], STDIN_FILENO)
                close(ends[0])
            }
            let arguments = CommandLine.arguments
            var pointers = arguments.map { strdup($0) } + [nil]
            execv(selfExecutablePath(), &pointers)
            throw CLIError("cannot restart the worker: \(String(cString: strerror(errno)))")
        }
    }
}

extension Worker {
    /// The keys `gym run --workers` writes to a local worker's standard input: the pool's public key and
    /// this worker's key pair, one `name key` line each.
    static func keysFromStandardInput() throws -> Curve.Client {
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile().prefix(4096), as: UTF8.self)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let server = fields["server"], let publicKey = fields["public"], let secretKey = fields["secret"] else {
            throw CLIError("--keys-on-stdin expects the lines 'server <key>', 'public <key>' and 'secret <key>' on standard input")
        }
        return Curve.Client(serverKey: server, keys: Curve.KeyPair(publicKey: publicKey, secretKey: secretKey))
    }
}

/// Counts the signals a process received, from any thread.
private final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    /// The count after this one.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}

/// The path of the running `gym` executable.
func selfExecutablePath() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
}

/// Unblocks SIGINT and SIGTERM, which a parent's thread may have blocked and a child inherits.
func unblockTerminationSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// Waits for SIGINT or SIGTERM.
func waitForInterrupt() {
    unblockTerminationSignals()
    let done = DispatchSemaphore(value: 0)
    let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { done.signal() }
        source.resume()
        return source
    }
    done.wait()
    sources.forEach { $0.cancel() }
}

/// Worker processes of this machine for `gym run --workers N`, replaced when they exit.
final class LocalWorkers: @unchecked Sendable {
    private let endpoint: String
    private let secrets: LocalWorkerSecrets?
    private let lock = NSLock()
    private var processes: [Process] = []
    private var stopping = false
    private var supervisor: Thread?

    init(count: Int, endpoint: String, secrets: LocalWorkerSecrets? = nil) throws {
        self.endpoint = endpoint
        self.secrets = secrets
        for index in 0..<count { processes.append(try launch(index)) }
        let thread = Thread { [weak self] in self?.supervise() }
        thread.name = "designgym.local-workers"
        supervisor = thread
        thread.start()
    }

    /// The process ids of the workers now.
    var processIdentifiers: [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return processes.map(\.processIdentifier)
    }

    private func launch(_ index: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: selfExecutablePath())
        // Each worker watches this process and exits when it is gone, however it ended.
        process.arguments = ["worker", "--connect", endpoint, "--name", "local-\(index)", "--parent", String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        guard let input = secrets?.workerInput else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }
        process.arguments! += ["--keys-on-stdin"]
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try? pipe.fileHandleForWriting.close()
        return process
    }

    private func supervise() {
        while true {
            Thread.sleep(forTimeInterval: 0.2)
            lock.lock()
            if stopping {
                lock.unlock()
                return
            }
            for index in processes.indices where !processes[index].isRunning {
                if let replacement = try? launch(index) { processes[index] = replacement }
            }
            lock.unlock()
        }
    }

    /// Terminates every worker (SIGTERM, then SIGKILL after two seconds) and waits for them.
    func stop() {
        lock.lock()
        stopping = true
        let all = processes
        lock.unlock()
        for process in all where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(2)
        while all.contains(where: \.isRunning) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        for process in all where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in all { process.waitUntilExit() }
    }
}

/// Writes a timestamped line to standard error at once: the log of `gym broker` (and `gym serve`).
@Sendable func logLine(_ text: String) {
    let stamp = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    FileHandle.standardError.write(Data("\(stamp) \(text)\n".utf8))
}
