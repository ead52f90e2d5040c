import Foundation
import Testing
import VireoStorage
@testable import VireoNet

@Suite("vireo serve settings: config file, environment, defaults")
struct ServerConfigurationTests {
    @Test("the environment overrides the config file, which overrides the defaults; bad lines name their line")
    func precedence() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# Vireo\npg_port = 6000\nhttp_port = 7000   # REST\napi_keys = \"k1, k2\"\nidle_in_transaction_timeout = 1min\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(configFile: path, environment: ["VIREO_HTTP_PORT": "7100"])
        #expect(configuration.pgPort == 6000 && configuration.httpPort == 7100 && configuration.apiKeys == ["k1", "k2"])
        #expect(configuration.sessionDefaults["idle_in_transaction_session_timeout"] == "1min")
        // Every VIREO_* setting may come from the file, those the jobs surface reads too.
        try "websocket_send_timeout_ms = 5000\njob_lease_seconds = 30\njob_max_attempts = 5\nnode_inactive_seconds = 90\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let jobs = try ServerConfiguration.load(configFile: path, environment: ["VIREO_JOB_MAX_ATTEMPTS": "7"])
        #expect(jobs.webSocketSendTimeoutMs == 5000)
        #expect(jobs.variables["VIREO_JOB_LEASE_SECONDS"] == "30" && jobs.variables["VIREO_NODE_INACTIVE_SECONDS"] == "90")
        #expect(jobs.variables["VIREO_JOB_MAX_ATTEMPTS"] == "7")
        #expect(try ServerConfiguration.load(configFile: nil, environment: [:]).pgPort == 5433)
        try "pg_port = 6000\nno_such_setting = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: VireoError.self) { try ServerConfiguration.load(configFile: path, environment: [:]) }
        do {
            _ = try ServerConfiguration.load(configFile: path, environment: [:])
        } catch let error as VireoError {
            #expect(error.message.contains(":2:"), "the error names the line: \(error.message)")
        }
    }
}
