import Foundation
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct HubEventsTests {
    @Test func snapshotThenLiveChanges() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"early","hostname":"h"}"#)
            let admin = WebSocketProbe(port: client.port!, path: "/api/hub/events?token=\(try await client.token(key: TestKeys.admin))")
            let viewer = WebSocketProbe(port: client.port!, path: "/api/hub/events?token=\(try await client.token(key: TestKeys.hub))")
            let snapshot = try #require(try await admin.next(type: "snapshot")["data"] as? [String: Any])
            #expect((snapshot["agents"] as? [[String: Any]])?.first?["agent_id"] as? String == "early")
            #expect(snapshot["pairing"] is [Any])
            let viewerSnapshot = try #require(try await viewer.next(type: "snapshot")["data"] as? [String: Any])
            #expect(viewerSnapshot["pairing"] == nil || viewerSnapshot["pairing"] is NSNull)

            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"late","hostname":"h"}"#)
            #expect((try await admin.next(type: "agent")["data"] as? [String: Any])?["agent_id"] as? String == "late")
            _ = try await viewer.next(type: "topology")

            let taskId = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"s"}"#).object()["task_id"] as? String
            #expect((try await viewer.next(type: "task")["data"] as? [String: Any])?["id"] as? String == taskId)

            // Pairing entries reach admins only.
            let code = try await client.call(.post, "/api/pairing/generate-code", key: TestKeys.admin).object()["code"] as! String
            _ = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"n"}"#)
            let pairing = try #require(try await admin.next(type: "pairing")["data"] as? [String: Any])
            #expect(pairing["status"] as? String == "pending_approval")
            #expect(pairing["claim_secret"] == nil)
            _ = try await client.call(.delete, "/api/registry/agents/late", key: TestKeys.agentA)
            // Everything the viewer got between the task and the removal: no pairing event among it.
            var viewerTypes: [String] = []
            while viewerTypes.last != "agent_removed" {
                let frame = try #require(try await viewer.next())
                viewerTypes.append(frame["type"] as? String ?? "")
            }
            #expect(!viewerTypes.contains("pairing"))
            await admin.close()
            await viewer.close()
        }
    }
}
