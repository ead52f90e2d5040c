import Glibc

/// The directory the databases live in: the one given, or a fresh temporary one that is
/// removed afterwards. Database files are removed either way.
struct BenchDirectory {
    let path: String
    private let isTemporary: Bool

    init(given: String?) throws {
        if let given {
            guard mkdir(given, 0o755) == 0 || errno == EEXIST else {
                throw BenchError("cannot create directory \(given): \(String(cString: strerror(errno)))")
            }
            path = given
            isTemporary = false
            return
        }
        var template = Array("/tmp/vireo-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BenchError("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        isTemporary = true
    }

    /// Path of database `name` in this directory; any old files of that database are removed first.
    func database(_ name: String) -> String {
        let file = path + "/" + name
        removeDatabase(file)
        return file
    }

    /// Size in bytes of the database file alone and with its companions (-wal, -shm), as `ls -l` shows them.
    func sizeBytes(ofDatabase file: String) -> (file: Int, withCompanions: Int) {
        let sizes = Self.companions(of: file).map { path in
            var info = stat()
            return stat(path, &info) == 0 ? Int(info.st_size) : 0
        }
        return (sizes[0], sizes.reduce(0, +))
    }

    func removeDatabase(_ file: String) {
        for path in Self.companions(of: file) { unlink(path) }
    }

    /// Removes the directory when it was made here.
    func finish() {
        if isTemporary { rmdir(path) }
    }

    private static func companions(of file: String) -> [String] {
        [file, file + "-wal", file + "-shm", file + "-journal"]
    }
}
