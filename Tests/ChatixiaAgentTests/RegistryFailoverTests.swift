import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Registry
import Testing

@testable import ChatixiaAgent

/// An agent given several registry replicas moves to the next one when the one it uses cannot be reached.
@Suite struct RegistryFailoverTests {
    @Test func aCallThatCannotReachItsReplicaSendsTheNextCallToTheNextReplica() async throws {
        var config = RegistryConfiguration(signingSecret: String(repeating: "f", count: 40), apiKeys: ["failover_agent_key": APIKeyEntry(peerId: "p", role: .agent)])
        config.host = "127.0.0.1"
        config.port = 0
        var logger = Logger(label: "failover-registry")
        logger.logLevel = .warning
        let server = try await RegistryServer.make(config: config, logger: logger)
        try await server.application.test(.live) { live async throws in
            // Nothing listens on port 9 of loopback: the first replica is gone.
            let client = RegistryClient(baseURL: "http://127.0.0.1:9, http://127.0.0.1:\(live.port!)/", credential: .apiKey("failover_agent_key"), caFile: nil)
            #expect(client.baseURLs == ["http://127.0.0.1:9", "http://127.0.0.1:\(live.port!)"])
            // Refused at once (not retried until the call's deadline, which would be a time-out).
            let refused = await #expect(throws: RegistryError.self) { try await client.agents() }
            if case .timedOut? = refused { Issue.record("the refused connection was retried until the deadline") }
            #expect(client.baseURL == "http://127.0.0.1:\(live.port!)")
            #expect(try await client.agents().isEmpty)
            // A copy of the client shares where it is.
            let copy = client
            #expect(copy.baseURL == client.baseURL)
        }
    }
}
