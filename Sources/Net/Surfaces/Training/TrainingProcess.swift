import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A session's program: started by posix_spawn in its own process group (so `stop` reaches
/// everything it started) and its own working directory, with the default signal
/// dispositions (the server ignores SIGTERM and SIGPIPE; its children must not).
/// Standard output comes back through a pipe (the supervisor reads reports from it);
/// standard error goes straight to `output.log` in the working directory.
struct TrainingProcess: Sendable {
    let pid: pid_t
    /// The read end of the program's standard output.
    let outputDescriptor: Int32

    /// Starts `arguments` (argv, looked up in PATH) in `directory` with exactly `environment`.
    static func spawn(_ arguments: [String], environment: [String: String], directory: String, logPath: String) throws -> TrainingProcess {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw failure("pipe", errno) }
        // Neither end leaks into other programs the server starts; dup2 gives the child its own stdout.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // The shell changes directory, then becomes the program: posix_spawn's own chdir is a GNU extension.
        let argv = ["/bin/sh", "-c", "cd -- \"$0\" || exit 126; exec \"$@\"", directory] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envpPointers in posix_spawn(&pid, "/bin/sh", &actions, &attributes, argvPointers, envpPointers) }
        }
        close(ends[1])
        guard result == 0 else {
            close(ends[0])
            throw failure("posix_spawn", result)
        }
        return TrainingProcess(pid: pid, outputDescriptor: ends[0])
    }

    private static func failure(_ call: String, _ code: Int32) -> RESTError {
        RESTError(.internalServerError, code: "spawn_failed", "could not start the program: \(call): \(String(cString: strerror(code)))")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Waits for the program to end: its exit code, or minus the signal that ended it (as Python's returncode).
    func wait() -> Int64 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? Int64((status >> 8) & 0xff) : -Int64(signal)
    }

    /// Reads standard output line by line until it closes; lines longer than `lineBytesMax` are cut.
    func readLines(lineBytesMax: Int = 1 << 16, _ body: (String) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(outputDescriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            for byte in buffer[0..<count] {
                if byte == 10 {
                    body(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                } else if pending.count < lineBytesMax {
                    pending.append(byte)
                }
            }
        }
        if !pending.isEmpty { body(String(decoding: pending, as: UTF8.self)) }
        close(outputDescriptor)
    }
}

/// What the kernel says about a process: whether it is the one a session started.
enum ProcessTable {
    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat); nil when there is no such process.
    static func startTime(_ pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After "pid (comm)" come state (field 3) … starttime (field 22).
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return Int64(fields[19])
    }

    /// Whether `pid` still runs and is the process that started at `start`.
    static func isAlive(_ pid: Int32, start: Int64?) -> Bool {
        guard let now = startTime(pid) else { return false }
        return start == nil || start == now
    }

    /// Sends `signal` to the process group `pid` leads.
    static func signalGroup(_ pid: Int32, _ signal: Int32) {
        _ = kill(-pid, signal)
    }
}
