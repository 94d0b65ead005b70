import Foundation
import GymCore

/// Runs one command of a command environment: in a working directory of its own, in a process group of
/// its own (so a timeout kills everything it started), with its standard output kept (up to a limit)
/// and the tail of its standard error, under a time limit.
enum CommandRunner {
    /// What a command did.
    struct Outcome {
        /// The exit status, when it exited.
        var exitStatus: Int32?
        /// The signal that ended it, when one did.
        var signal: Int32?
        var standardOutput: Data
        /// Whether standard output went past the limit (what came after was dropped).
        var outputTruncated: Bool
        /// The last bytes of standard error.
        var errorTail: Data
        /// Whether it ran out of time and was killed.
        var timedOut: Bool
        /// Seconds it ran.
        var seconds: Double

        /// The tail of standard error as text, trimmed, for messages.
        var errorText: String {
            String(decoding: errorTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// A command that could not be started at all.
    struct NotStarted: Error, CustomStringConvertible {
        var description: String
    }

    static let outputLimit = 16 << 20
    static let errorTailLimit = 4096

    /// Runs `arguments` (the program, found on PATH, then its arguments) in `directory` with `environment`
    /// added to this process's, for at most `timeout` seconds (and no later than the evaluation's deadline).
    static func run(_ arguments: [String], directory: String, environment: [String: String], timeout: Double?) throws -> Outcome {
        guard !arguments.isEmpty else { throw NotStarted(description: "the command is empty") }
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let limit = [timeout, EvaluationDeadline.remaining].compactMap { $0 }.min()

        var output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&output) == 0, pipe(&errors) == 0 else { throw NotStarted(description: "cannot make pipes: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        for fd in output + errors { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, default signal handling and no blocked signals (`gym run` ignores SIGINT
        // and SIGTERM, which a child would otherwise inherit).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        // The shell changes into the directory and replaces itself with the program: the arguments are
        // positional parameters, never parsed as shell text.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp = merged.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argvPointers, envPointers)
            }
        }
        close(output[1])
        close(errors[1])
        guard spawned == 0 else {
            close(output[0])
            close(errors[0])
            throw NotStarted(description: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }

        var outcome = Outcome(exitStatus: nil, signal: nil, standardOutput: Data(), outputTruncated: false, errorTail: Data(),
                              timedOut: false, seconds: 0)
        var open = [output[0]: true, errors[0]: true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        var exited = false
        var status: Int32 = 0
        while !exited || open.values.contains(true) {
            if let limit, elapsed() > limit, !outcome.timedOut {
                outcome.timedOut = true
                kill(-pid, SIGKILL)
            }
            var items = open.filter(\.value).keys.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if !items.isEmpty { _ = poll(&items, nfds_t(items.count), 50) } else { usleep(20_000) }
            for item in items where item.revents != 0 {
                let count = read(item.fd, &buffer, buffer.count)
                if count <= 0 {
                    open[item.fd] = false
                    continue
                }
                let chunk = buffer[0..<count]
                if item.fd == output[0] {
                    if outcome.standardOutput.count + count <= outputLimit {
                        outcome.standardOutput.append(contentsOf: chunk)
                    } else {
                        outcome.outputTruncated = true
                    }
                } else {
                    outcome.errorTail.append(contentsOf: chunk)
                    if outcome.errorTail.count > errorTailLimit { outcome.errorTail = outcome.errorTail.suffix(errorTailLimit) }
                }
            }
            if !exited, waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                // What it left running (holding the pipes, say) goes with it.
                kill(-pid, SIGKILL)
            }
        }
        close(output[0])
        close(errors[0])
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out: the macros do not reach Swift.
        if status & 0x7F == 0 { outcome.exitStatus = (status >> 8) & 0xFF } else { outcome.signal = status & 0x7F }
        outcome.seconds = elapsed()
        return outcome
    }

    /// Calls `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
