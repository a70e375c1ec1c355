import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Registry

/// Identity bound to credentials: agent ids stay owned, sidecar peer ids cannot be borrowed, routing and
/// attribution cannot be won by another credential, and guessing credentials is slowed on every endpoint.
@Suite struct TrustTests {
    func register(
        _ client: some TestClientProtocol, id: String, key: String, skills: [String] = [], sidecar: String = ""
    ) async throws -> TestResponse {
        let object: [String: Any] = ["agent_id": id, "hostname": "h", "sidecar_peer_id": sidecar, "capabilities": ["skills": skills]]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try await client.call(.post, "/api/registry/agents", key: key, json: body)
    }

    @Test func anAgentIdStaysOwnedAcrossDeregistrationUntilAnAdminReleasesIt() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "worker", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.delete, "/api/registry/agents/worker", key: TestKeys.agentA).status == .ok)
            // While the owner restarts, nobody else can take the id: not by registering, not by heartbeat.
            let squat = try await register(client, id: "worker", key: TestKeys.agentB)
            #expect(squat.status == .forbidden)
            #expect(squat.errorMessage == "agent 'worker' is owned by another credential")
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"worker"}"#).status == .forbidden)
            #expect(try await client.call(.get, "/api/registry/agents/worker", key: TestKeys.hub).status == .notFound)
            #expect(try await register(client, id: "worker", key: TestKeys.agentA).status == .ok)

            // Only an admin transfers or releases it.
            #expect(try await client.call(.delete, "/api/registry/agents/worker/owner", key: TestKeys.agentA).status == .forbidden)
            #expect(try await client.call(.put, "/api/registry/agents/worker/owner", key: TestKeys.admin, json: #"{"owner":"peer-b"}"#).status == .ok)
            #expect(try await register(client, id: "worker", key: TestKeys.agentA).status == .forbidden)
            #expect(try await register(client, id: "worker", key: TestKeys.agentB).status == .ok)
            #expect(try await client.call(.delete, "/api/registry/agents/worker/owner", key: TestKeys.admin).status == .ok)
            #expect(try await client.call(.delete, "/api/registry/agents/worker/owner", key: TestKeys.admin).status == .notFound)
            #expect(try await register(client, id: "worker", key: TestKeys.agentA).status == .ok)
            #expect(await server.services.state.owner(of: "worker") == "peer-a")
        }
    }

    @Test func ownershipSurvivesARestart() async throws {
        let database = try await TestDatabase.fresh()
        defer { TestDatabase.remove(database) }
        let first = try await RegistryServer.test { $0.database = database }
        try await first.application.test(.router) { client async throws in
            #expect(try await register(client, id: "kept", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.delete, "/api/registry/agents/kept", key: TestKeys.agentA).status == .ok)
        }
        let second = try await RegistryServer.test { $0.database = database }
        try await second.application.test(.router) { client async throws in
            #expect(try await register(client, id: "kept", key: TestKeys.agentB).status == .forbidden)
            #expect(try await register(client, id: "kept", key: TestKeys.agentA).status == .ok)
        }
    }

    @Test func aCredentialCannotClaimAnotherCredentialsSidecarPeerId() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "a1", key: TestKeys.agentA, sidecar: "a1-sidecar").status == .ok)
            // Another credential's subject, or the sidecar another credential's agent announced: refused.
            let subject = try await register(client, id: "b1", key: TestKeys.agentB, sidecar: "peer-a")
            #expect(subject.status == .forbidden)
            #expect(subject.errorMessage == "sidecar_peer_id 'peer-a' is another credential's subject")
            #expect(try await register(client, id: "b1", key: TestKeys.agentB, sidecar: "admin").status == .forbidden)
            #expect(try await register(client, id: "b1", key: TestKeys.agentB, sidecar: "a1-sidecar").status == .forbidden)
            let beat = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"b2","sidecar_peer_id":"peer-a"}"#)
            #expect(beat.status == .forbidden)
            #expect(try await client.call(.get, "/api/registry/agents/b2", key: TestKeys.hub).status == .notFound)
            // Its own subject, or a name nobody holds (upstream's "<name>-sidecar"), is fine.
            #expect(try await register(client, id: "b1", key: TestKeys.agentB, sidecar: "peer-b").status == .ok)
            #expect(try await register(client, id: "b3", key: TestKeys.agentB, sidecar: "b3-sidecar").status == .ok)
            // A credential's agents may share its sidecar.
            #expect(try await register(client, id: "a2", key: TestKeys.agentA, sidecar: "a1-sidecar").status == .ok)
            let agent = try await client.call(.get, "/api/registry/agents/a1", key: TestKeys.hub).object()
            #expect(agent["sidecar_peer_id"] as? String == "a1-sidecar")
        }
    }

    @Test func routingCannotBeWonByRegisteringAgain() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "first", key: TestKeys.agentA, skills: ["translate"]).status == .ok)
            #expect(try await register(client, id: "second", key: TestKeys.agentB, skills: ["translate"]).status == .ok)
            for _ in 0..<3 {
                #expect(try await register(client, id: "second", key: TestKeys.agentB, skills: ["translate"]).status == .ok)
            }
            // The first owner restarting (deregister, register again) keeps its place.
            #expect(try await client.call(.delete, "/api/registry/agents/first", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.get, "/api/registry/route?skill=translate", key: TestKeys.hub).object()["agent_id"] as? String == "second")
            #expect(try await register(client, id: "first", key: TestKeys.agentA, skills: ["translate"]).status == .ok)
            #expect(try await client.call(.get, "/api/registry/route?skill=translate", key: TestKeys.hub).object()["agent_id"] as? String == "first")
        }
    }

    @Test func taskAttributionComesFromTheCredential() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "a1", key: TestKeys.agentA).status == .ok)
            func source(_ key: String, _ claimed: String) async throws -> String? {
                let body = #"{"skill":"echo","source_agent_id":"\#(claimed)"}"#
                let id = try #require(try await client.call(.post, "/api/hub/tasks", key: key, json: body).object()["task_id"] as? String)
                return try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()["source_agent_id"] as? String
            }
            #expect(try await source(TestKeys.agentA, "a1") == "a1")
            #expect(try await source(TestKeys.agentB, "a1") == "peer-b")
            #expect(try await source(TestKeys.agentB, "") == "peer-b")
            #expect(try await source(TestKeys.hub, "hub-user") == "hub-viewer")
            #expect(try await source(TestKeys.admin, "hub-user") == "hub-user")
        }
    }

    @Test func failedAuthenticationsAreLimitedOnEveryEndpoint() async throws {
        let server = try await RegistryServer.test { $0.limits.failedAuthPerMinute = 10 }
        try await server.application.test(.router) { client async throws in
            for attempt in 0..<10 {
                let response = try await client.call(.get, "/api/registry/agents", key: "wrong-key-\(attempt)")
                #expect(response.status == .unauthorized)
            }
            // Past the limit even a good key from the same address waits, on any endpoint.
            for (method, path) in [(HTTPRequest.Method.get, "/api/registry/agents"), (.get, "/api/hub/tasks/all"), (.post, "/api/token")] {
                let response = try await client.call(method, path, key: TestKeys.admin)
                #expect(response.status == .tooManyRequests, "\(path)")
                let retry = try #require(response.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...60).contains(retry))
                #expect(response.errorMessage == "too many failed authentication attempts")
            }
            let metrics = try await client.call(.get, "/metrics").text
            #expect(metrics.contains("chatixia_auth_failures_total 10"))
            #expect(metrics.contains("chatixia_rate_limited_total 3"))
        }
    }

    @Test func pathParametersArePercentDecoded() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "café \"agent\"", key: TestKeys.agentA).status == .ok)
            let found = try await client.call(.get, "/api/registry/agents/caf%C3%A9%20%22agent%22", key: TestKeys.hub)
            #expect(found.status == .ok)
            #expect(try found.object()["agent_id"] as? String == "café \"agent\"")
            #expect(try await client.call(.delete, "/api/registry/agents/caf%C3%A9%20%22agent%22", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.get, "/api/registry/agents/%E0%A4%A", key: TestKeys.hub).status == .badRequest)
        }
    }

    @Test func jsonBodiesAreStrict() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            for body in [#"{"agent_id":"x","hostname":"h",}"#, #"{"agent_id":"x","hostname":"h"} // note"#, #"{'agent_id':"x"}"#] {
                let response = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorMessage?.hasPrefix("malformed JSON at byte") == true, "\(body)")
            }
            #expect(try await client.call(.get, "/api/registry/agents/x", key: TestKeys.hub).status == .notFound)
        }
    }

    @Test func behindATrustedProxyTheForwardedClientIsTheOneLimited() async throws {
        let server = try await RegistryServer.test {
            $0.limits.failedAuthPerMinute = 3
            $0.trustedProxies = [AddressRange("127.0.0.0/8")!]
        }
        try await server.application.test(.live) { client async throws in
            func agents(key: String, forwardedFor: String) async throws -> HTTPResponse.Status {
                try await client.call(.get, "/api/registry/agents", key: key, headers: [HTTPField.Name("x-forwarded-for")!: forwardedFor]).status
            }
            for _ in 0..<3 { #expect(try await agents(key: "wrong-key-000", forwardedFor: "203.0.113.5") == .unauthorized) }
            #expect(try await agents(key: TestKeys.hub, forwardedFor: "203.0.113.5") == .tooManyRequests)
            // A client cannot escape by prepending an address of its own: the rightmost untrusted hop counts.
            #expect(try await agents(key: TestKeys.hub, forwardedFor: "198.51.100.1, 203.0.113.5") == .tooManyRequests)
            #expect(try await agents(key: TestKeys.hub, forwardedFor: "203.0.113.6") == .ok)
        }
    }

    @Test func withoutATrustedProxyForwardedForIsIgnored() async throws {
        let server = try await RegistryServer.test { $0.limits.failedAuthPerMinute = 3 }
        try await server.application.test(.live) { client async throws in
            for n in 0..<3 {
                let forged: HTTPFields = [HTTPField.Name("x-forwarded-for")!: "203.0.113.\(n)"]
                #expect(try await client.call(.get, "/api/registry/agents", key: "wrong-key-000", headers: forged).status == .unauthorized)
            }
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.hub).status == .tooManyRequests)
        }
    }

    @Test func aCredentialOwnsABoundedNumberOfAgentIds() async throws {
        let server = try await RegistryServer.test { $0.limits.agentIdsPerCredential = 2 }
        try await server.application.test(.router) { client async throws in
            #expect(try await register(client, id: "one", key: TestKeys.agentA).status == .ok)
            #expect(try await register(client, id: "two", key: TestKeys.agentA).status == .ok)
            let third = try await register(client, id: "three", key: TestKeys.agentA)
            #expect(third.status == .tooManyRequests)
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"four"}"#).status == .tooManyRequests)
            // Re-registering an id it owns, and other credentials, are unaffected.
            #expect(try await register(client, id: "one", key: TestKeys.agentA).status == .ok)
            #expect(try await register(client, id: "three", key: TestKeys.agentB).status == .ok)
        }
    }

    @Test func skillAccessRulesDecideWhoMaySubmitAndWhichAgentsMayTakeIt() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let guarded = #"{"agent_id":"guarded","hostname":"h","capabilities":{"skills":["deploy"],"skill_access":{"deploy":["peer-b","role:admin"]}}}"#
            #expect(try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: guarded).status == .ok)
            let record = try await client.call(.get, "/api/registry/agents/guarded", key: TestKeys.hub).object()
            #expect((record["capabilities"] as? [String: Any])?["skill_access"] as? [String: [String]] == ["deploy": ["peer-b", "role:admin"]])

            // Only guarded offers deploy, and its rules refuse the hub: targeted or not, a 403.
            let targeted = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"deploy","target_agent_id":"guarded"}"#)
            #expect(targeted.status == .forbidden)
            #expect(targeted.errorMessage == "credential 'hub-viewer' may not run skill 'deploy' on agent 'guarded'")
            #expect(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"deploy"}"#).status == .forbidden)
            let allowed = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.agentB, json: #"{"skill":"deploy"}"#).object()["task_id"] as? String)
            #expect(try await client.call(.post, "/api/hub/tasks", key: TestKeys.admin, json: #"{"skill":"deploy","target_agent_id":"guarded"}"#).status == .ok)

            // Another agent offers deploy to anyone: the hub's task is accepted, and only that agent may take it.
            #expect(try await register(client, id: "open", key: TestKeys.agentB, skills: ["deploy"]).status == .ok)
            let hubs = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"deploy"}"#).object()["task_id"] as? String)
            let taken = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"guarded"}"#).object()
            let takenIds = (taken["pending_tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(takenIds.contains(allowed) && !takenIds.contains(hubs))
            let other = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"open"}"#).object()
            #expect((other["pending_tasks"] as? [[String: Any]])?.map { $0["id"] as? String } == [hubs])
            let task = try await client.call(.get, "/api/hub/tasks/\(hubs)", key: TestKeys.hub).object()
            #expect(task["submitted_by"] as? [String: String] == ["peer_id": "hub-viewer", "role": "hub"])
        }
    }
}
