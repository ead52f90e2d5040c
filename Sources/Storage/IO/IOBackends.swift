import Glibc
import Logging

/// Chooses the I/O backend the engine runs on.
public enum IOBackends {
    /// The environment variable that forces a backend: `uring` or `posix`.
    public static let environmentVariable = "VIREO_IO"

    /// The value of `VIREO_IO` in this process's environment, if set.
    public static func environmentValue() -> String? {
        getenv(environmentVariable).map { String(cString: $0) }
    }

    /// io_uring unless it cannot be set up here, in which case POSIX; `override` (by
    /// default the value of `VIREO_IO`) forces one, and then a failure to set it up is an
    /// error rather than a fallback. Logs the choice and the reason for it.
    /// - Throws: `.invalidParameter` for an unknown override value, `.ioError` when
    ///   io_uring is forced but unavailable.
    public static func makeDefault(
        logger: Logger = Logger(label: "vireo.storage.io"), override: String? = environmentValue(),
        queueDepth: Int = 64
    ) throws -> any IOBackend {
        try choose(override: override, logger: logger) { try UringBackend(queueDepth: queueDepth) }
    }

    /// The choice itself, with the io_uring constructor passed in so tests can make it fail.
    static func choose(
        override: String?, logger: Logger = Logger(label: "vireo.storage.io"),
        makeUring: () throws -> any IOBackend
    ) throws -> any IOBackend {
        switch override {
        case nil, "":
            do {
                let backend = try makeUring()
                logger.info("I/O backend: io_uring (default)")
                return backend
            } catch {
                logger.warning("I/O backend: posix, because io_uring cannot be set up: \(error)")
                return POSIXBackend()
            }
        case "uring", "io_uring":
            let backend = try makeUring()
            logger.info("I/O backend: io_uring (forced by \(environmentVariable))")
            return backend
        case "posix":
            logger.info("I/O backend: posix (forced by \(environmentVariable))")
            return POSIXBackend()
        case let value?:
            throw VireoError(.invalidParameter, "\(environmentVariable) must be 'uring' or 'posix', got '\(value)'")
        }
    }
}
