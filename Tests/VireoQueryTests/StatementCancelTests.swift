import Dispatch
import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// `StatementCancel` on its own: a request without a statement timer begins and ends
/// without its lock, and must keep the rules a locked one kept.
@Suite("Statement cancel flag")
struct StatementCancelTests {
    /// Longest the timer test waits for its 1 ms timer to fire.
    static let timerWaitMs = 20_000

    private func cancelError(_ cancel: StatementCancel) -> VireoError? {
        do {
            try cancel.check()
            return nil
        } catch {
            return error as? VireoError
        }
    }

    @Test("a raise between requests is ignored, one inside a request stops it until it ends, and the first reason raised wins")
    func raiseOnlyInsideRequests() {
        let cancel = StatementCancel()
        cancel.raise(.userRequest)
        cancel.beginRequest()
        #expect(cancelError(cancel) == nil, "a cancel raised before the request began stopped it")
        cancel.raise(.userRequest)
        cancel.raise(.statementTimeout)
        let error = cancelError(cancel)
        #expect(error?.code == .queryCanceled && error?.message == "canceling statement due to user request", "got \(String(describing: error))")
        #expect(cancel.isRaised)
        cancel.endRequest()
        #expect(!cancel.isRaised && cancelError(cancel) == nil, "a raise outlived its request")
        cancel.raise(.userRequest)
        cancel.beginRequest(statementTimeoutMs: 0)
        #expect(cancelError(cancel) == nil, "a cancel raised while idle stopped the next request")
        cancel.endRequest()
    }

    @Test("a request's statement timer raises statement_timeout; the next request, without a timer, is not stopped by it")
    func timerOfOneRequestOnly() throws {
        let cancel = StatementCancel()
        cancel.beginRequest(statementTimeoutMs: 1)
        let deadline = DispatchTime.now() + .milliseconds(Self.timerWaitMs)
        while !cancel.isRaised && DispatchTime.now() < deadline { Thread.sleep(forTimeInterval: 0.001) }
        let error = cancelError(cancel)
        #expect(error?.message == "canceling statement due to statement timeout", "got \(String(describing: error))")
        cancel.endRequest()
        cancel.beginRequest()
        #expect(cancelError(cancel) == nil, "the last request's timeout stopped the next one")
        cancel.endRequest()
        // A script's statement: its timeout is cleared when it ends, a user's cancel is not.
        cancel.beginRequest()
        cancel.beginStatement(timeoutMs: 0)
        cancel.raise(.userRequest)
        cancel.endStatement()
        #expect(cancelError(cancel)?.message == "canceling statement due to user request")
        cancel.endRequest()
        #expect(cancelError(cancel) == nil)
    }
}
