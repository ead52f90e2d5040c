import Foundation
import Testing
import VireoStorage
@testable import VireoQuery

@Suite("Parser stack use")
struct StackDepthTests {
    /// Runs `body` on a thread with a stack of `stackSizeBytes` and waits for it to finish.
    private func onThread(stackSizeBytes: Int, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.stackSize = stackSizeBytes
        thread.start()
        done.wait()
    }

    private static let deepTexts: [String] = {
        let levels = SyntaxLimits.nestingDepthMax
        return [
            "SELECT " + String(repeating: "f(", count: levels - 2) + "1" + String(repeating: ")", count: levels - 2),
            "SELECT " + String(repeating: "(SELECT ", count: levels / 2 - 1) + "1" + String(repeating: ")", count: levels / 2 - 1),
            "SELECT " + String(repeating: "CASE WHEN ", count: levels - 2) + "true" + String(repeating: " THEN 1 END", count: levels - 2),
            "SELECT * FROM " + String(repeating: "(SELECT * FROM ", count: levels / 2 - 1) + "t" + String(repeating: ") s", count: levels / 2 - 1),
            "SELECT " + String(repeating: "- ", count: levels - 2) + "1",
        ]
    }()

    @Test("the deepest nesting allowed either parses or is refused, on small and large stacks; never a crash",
          arguments: [256 << 10, 1 << 20, 8 << 20])
    func stacks(stackSizeBytes: Int) {
        onThread(stackSizeBytes: stackSizeBytes) {
            var outcomes: [String] = []
            for text in Self.deepTexts {
                do {
                    let statement = try Parser.parseStatement(text)
                    let again = try Parser.parseStatement(statement.sql)
                    #expect(again.body == statement.body)
                    outcomes.append("parsed")
                } catch let error as VireoError where error.code == .limitExceeded {
                    outcomes.append("refused")
                } catch {
                    Issue.record("\(text.prefix(40))…: \(error)")
                }
            }
            print("stack \(stackSizeBytes >> 10) KiB: \(outcomes)")
        }
    }
}
