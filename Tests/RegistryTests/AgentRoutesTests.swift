import Foundation
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct AgentRoutesTests {
    let register = #"{"agent_id":"alpha","hostname":"host-a","ip":"10.0.0.5","port":9000,"capabilities":{"skills":["echo","sum"],"mcp_servers":["fs"],"goals_count":2,"mode":"interactive"},"status":"ready","mode":"interactive"}"#

    @Test func registerListGetDeleteWithUpstreamShapes() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            let created = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: register)
            #expect(created.status == .ok)
            #expect(try created.object()["status"] as? String == "ok")

            let list = try await client.call(.get, "/api/registry/agents", key: TestKeys.hub).array()
            #expect(list.count == 1)
            let agent = try #require(list.first)
            #expect(agent["agent_id"] as? String == "alpha")
            #expect(agent["port"] as? Int == 9000)
            #expect(agent["health"] as? String == "active")
            let capabilities = try #require(agent["capabilities"] as? [String: Any])
            #expect(capabilities["skills"] as? [String] == ["echo", "sum"])
            #expect(capabilities["goals_count"] as? Int == 2)
            let registeredAt = try #require(agent["registered_at"] as? String)
            #expect(registeredAt.hasSuffix("+00:00"))
            #expect(ISO8601DateFormatter.withFraction.date(from: registeredAt) != nil)

            let one = try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentB)
            #expect(try one.object()["hostname"] as? String == "host-a")

            let missing = try await client.call(.get, "/api/registry/agents/nobody", key: TestKeys.agentA)
            #expect(missing.status == .notFound)
            #expect(missing.errorMessage == "agent not found")

            #expect(try await client.call(.delete, "/api/registry/agents/alpha", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentA).status == .notFound)
            #expect(try await client.call(.delete, "/api/registry/agents/alpha", key: TestKeys.agentA).status == .notFound)
        }
    }

    @Test func ownershipProtectsAgentRecords() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            #expect(try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: register).status == .ok)
            // Another agent credential may neither overwrite, heartbeat nor delete it.
            let hijack = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: register)
            #expect(hijack.status == .forbidden)
            let beat = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"alpha"}"#)
            #expect(beat.status == .forbidden)
            #expect(try await client.call(.delete, "/api/registry/agents/alpha", key: TestKeys.agentB).status == .forbidden)
            // The read-only hub may not register at all; an admin may do anything.
            #expect(try await client.call(.post, "/api/registry/agents", key: TestKeys.hub, json: register).status == .forbidden)
            #expect(try await client.call(.delete, "/api/registry/agents/alpha", key: TestKeys.admin).status == .ok)
        }
    }

    @Test func heartbeatKeepsFieldsItDoesNotSend() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: register)
            let beat = try await client.call(
                .post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"alpha","skill_names":["echo"],"sidecar_peer_id":"peer-a"}"#)
            #expect(beat.status == .ok)
            #expect(try beat.object()["pending_tasks"] as? [Any] != nil)
            let agent = try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentA).object()
            // Upstream reset these to defaults on every heartbeat; we keep them.
            #expect(agent["ip"] as? String == "10.0.0.5")
            #expect(agent["port"] as? Int == 9000)
            #expect(agent["status"] as? String == "ready")
            #expect(agent["sidecar_peer_id"] as? String == "peer-a")
            #expect((agent["capabilities"] as? [String: Any])?["skills"] as? [String] == ["echo"])
        }
    }

    @Test func healthFollowsHeartbeatAgeAndRouteSkipsInactiveAgents() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.router) { client in
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: register)
            let routed = try await client.call(.get, "/api/registry/route?skill=sum", key: TestKeys.agentB)
            #expect(try routed.object()["agent_id"] as? String == "alpha")

            clock.advance(100)
            #expect(try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentA).object()["health"] as? String == "stale")
            let noRoute = try await client.call(.get, "/api/registry/route?skill=sum", key: TestKeys.agentB)
            #expect(noRoute.status == .notFound)
            #expect(noRoute.errorMessage == "no agent found with skill")

            clock.advance(200)
            #expect(try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentA).object()["health"] as? String == "offline")

            _ = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"alpha"}"#)
            #expect(try await client.call(.get, "/api/registry/agents/alpha", key: TestKeys.agentA).object()["health"] as? String == "active")
            #expect(try await client.call(.get, "/api/registry/route?skill=nothing", key: TestKeys.agentA).status == .notFound)
            #expect(try await client.call(.get, "/api/registry/route", key: TestKeys.agentA).status == .badRequest)
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
