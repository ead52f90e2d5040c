import HummingbirdCore
import Testing
@testable import VireoNet

@Suite("WebSocket routes")
struct WebSocketRouteTests {
    @Test("a declaration's path template matches whole paths only and captures its segments percent-decoded")
    func pathTemplatesCapture() {
        let logs = WebSocketRoute("/ws/jobs/{job_id}/logs") { _, _ in nil }
        #expect(logs.captures("/ws/jobs/mnist-1/logs") == ["job_id": "mnist-1"])
        #expect(logs.captures("/ws/jobs/a%20b/logs") == ["job_id": "a b"])
        #expect(logs.captures("/ws/jobs/mnist-1") == nil)
        #expect(logs.captures("/ws/jobs/mnist-1/logs/more") == nil)
        #expect(logs.captures("/ws/nodes") == nil)
        let dashboard = WebSocketRoute("/ws/dashboard") { _, _ in nil }
        #expect(dashboard.captures("/ws/dashboard") == [:])
        #expect(dashboard.captures("/ws/dashboards") == nil)
    }

    @Test("every declared socket has its own path, and each needs a key")
    func declarationsAreDistinct() {
        let paths = RESTRoutes.webSockets.map(\.path)
        #expect(Set(paths).count == paths.count, "two declarations for one path: \(paths)")
        #expect(Set(paths).isSuperset(of: ["/ws/dashboard", "/ws/nodes", "/ws/jobs/{job_id}/logs", "/api/v1/ws/training/{session_id}"]))
        let open = RESTRoutes.webSockets.filter { !$0.requiresKey }.map(\.path)
        #expect(open.isEmpty, "sockets without a key: \(open)")
    }

    @Test("an integer query parameter is clamped to its range, with the default when absent or not a number")
    func queryIntegersAreClamped() {
        func tail(_ query: String) -> Int {
            WebSocketRequest(captures: [:], uri: URI("/ws/jobs/j/logs" + query), principal: nil)
                .query("tail", default: JobsWebSocket.catchUpLinesDefault, in: 0...JobsWebSocket.catchUpLinesMax)
        }
        #expect(tail("") == JobsWebSocket.catchUpLinesDefault)
        #expect(tail("?tail=abc") == JobsWebSocket.catchUpLinesDefault)
        #expect(tail("?tail=5") == 5)
        #expect(tail("?tail=-3") == 0)
        #expect(tail("?tail=999999") == JobsWebSocket.catchUpLinesMax)
    }
}
