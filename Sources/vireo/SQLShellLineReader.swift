import CEditLine
import Foundation

/// Reads interactive input a line at a time with libedit: arrows, Home/End, Emacs keys,
/// and history (up/down, Ctrl-R) kept in a file across sessions.
final class EditLineReader {
    /// Entries kept in the history file.
    static let historyEntriesMax: Int32 = 1_000
    private let historyPath: String?
    private var lastEntry: String?

    /// `historyPath`: where history is read from and written to (nil: none kept).
    init(historyPath: String?) {
        self.historyPath = historyPath
        setlocale(LC_CTYPE, "")
        vireo_editline_configure("vireo")
        using_history()
        stifle_history(Self.historyEntriesMax)
        if let historyPath { _ = read_history(historyPath) }
    }

    /// The next line without its newline; nil at end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard let pointer = readline(prompt) else { return nil }
        defer { free(pointer) }
        let line = String(cString: pointer)
        remember(line)
        return line
    }

    private func remember(_ line: String) {
        guard !line.trimmingBlanks().isEmpty, line != lastEntry else { return }
        lastEntry = line
        _ = add_history(line)
        if let historyPath { _ = write_history(historyPath) }
    }

    /// `$VIREO_HISTORY`, else `~/.vireo_history`.
    static func defaultHistoryPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["VIREO_HISTORY"] { return path.isEmpty ? nil : path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.vireo_history"
    }
}
