import ArgumentParser
import Foundation
import GymStore
import GymTransport

struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve environments over ZeroMQ with their evaluations spread over worker processes.",
        discussion: """
            Clients speak designgym/1 to --bind exactly as to `gym serve`; every evaluation goes to a worker
            (`gym worker --connect <workers endpoint>`, on this machine or others). A worker silent for
            --liveness seconds is dead and its evaluation goes to another worker; an evaluation longer than
            --timeout reports status `timeout` and its worker replaces itself. With --curve-secret, both endpoints
            use CURVE: workers then need --curve-server-key (and, with --curve-clients, a listed key). Ctrl-C stops.
            Examples:
              gym broker --bind tcp://127.0.0.1:5555 --workers-bind tcp://127.0.0.1:5556
              gym worker --connect tcp://127.0.0.1:5556 &   # as many as you like
              gym run --remote tcp://127.0.0.1:5555 --env MemoryController-v0 --agent genetic --batch-size 8
            Environments hosted by workers of their own (Python's designgym.work) are named with --hosted-env:
              gym broker --env Branin-v0 --hosted-env ZigZag-v0
              python zigzag_environment.py --connect tcp://127.0.0.1:5556 &
            """)

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

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate designs for a broker (gym broker) or a parallel run (gym run --workers).",
        discussion: """
            Connects to the broker's workers endpoint and evaluates one design at a time, sending heartbeats
            meanwhile. When the broker abandons an evaluation that ran past its timeout, the worker starts
            afresh as a new process. Stop it with Ctrl-C or SIGTERM.
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

    @Option(help: .hidden)
    var parent: Int32?

    @Flag(help: .hidden)
    var keysOnStdin = false

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
