import Foundation
import Glibc
import Synchronization

/// A job's process, started with posix_spawn so that it gets what Foundation's Process does
/// not give it: no blocked signals (the agent's threads block some, and a child inherits
/// the mask, so SIGTERM would never reach a job), default signal handlers, and a process
/// group of its own, so that a time limit or a cancel stops its children too.
final class AgentChildProcess: Sendable {
    let pid: pid_t

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `arguments` (the first looked up in PATH by the shell) in `directory`, its standard output and
    /// error written to `stdoutDescriptor` and `stderrDescriptor`, standard input /dev/null.
    static func spawn(_ arguments: [String], directory: String, environment: [String: String],
                      stdoutDescriptor: Int32, stderrDescriptor: Int32) throws -> AgentChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrDescriptor, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        // Glibc's chdir file action is not visible to Swift: the shell changes directory and
        // execs the command (it runs with the default signal handling set above).
        let argv = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "cannot start \(arguments[0]): \(String(cString: strerror(result)))"])
        }
        return AgentChildProcess(pid: pid)
    }

    /// How a process ended, and what it used, as the kernel counted it (wait4's rusage: the
    /// process and the descendants it waited for).
    struct Exit: Sendable {
        /// The exit status, or 128 + the signal that ended it; -1 when waiting failed.
        var status: Int32
        /// User plus system CPU time.
        var cpuSeconds: Double
        /// The largest resident set the process (or a waited-for descendant) reached.
        var peakMemoryBytes: Int
    }

    /// Blocks until the process ends.
    func wait() -> Exit {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { return Exit(status: -1, cpuSeconds: 0, peakMemoryBytes: 0) }
        }
        let signal = status & 0x7f
        let cpuSeconds = Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime)
        // Linux counts ru_maxrss in kibibytes.
        return Exit(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, cpuSeconds: cpuSeconds, peakMemoryBytes: usage.ru_maxrss * 1024)
    }

    private static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

    /// Sends `signal` to the process's whole group.
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// A pipe whose descriptors close on exec (the child gets its own copies through dup2).
    /// Callers hold `spawnLock` from here to the spawn, so that no other job's child inherits
    /// the pipe in the moment before close-on-exec is set (pipe2 is not visible to Swift).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard Glibc.pipe(&descriptors) == 0 else { throw CocoaError(.fileWriteUnknown) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    static let spawnLock = Mutex(())
}
