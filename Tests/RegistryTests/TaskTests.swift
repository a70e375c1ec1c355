import Foundation
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct TaskTests {
    func registerAgent(_ client: some TestClientProtocol, id: String, key: String, skills: [String]) async throws {
        let object: [String: Any] = ["agent_id": id, "hostname": "h", "capabilities": ["skills": skills]]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let response = try await client.call(.post, "/api/registry/agents", key: key, json: body)
        #expect(response.status == .ok, "\(response.text)")
    }

    @Test func lifecycleThroughHeartbeatWithTargeting() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            try await registerAgent(client, id: "a", key: TestKeys.agentA, skills: ["echo"])
            try await registerAgent(client, id: "b", key: TestKeys.agentB, skills: ["echo"])
            let targeted = try await client.call(
                .post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo","target_agent_id":"b","payload":{"message":"hi"}}"#)
            #expect(targeted.status == .ok)
            let taskId = try #require(try targeted.object()["task_id"] as? String)
            #expect(taskId.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{3}/) != nil)

            // Agent a advertises the skill but the task is targeted at b: a must not get it (upstream bug).
            let beatA = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"a","skill_names":["echo"]}"#)
            #expect((try beatA.object()["pending_tasks"] as? [Any])?.isEmpty == true)
            let beatB = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"b","skill_names":[]}"#)
            let pending = try #require(try beatB.object()["pending_tasks"] as? [[String: Any]])
            #expect(pending.count == 1)
            #expect(pending.first?["id"] as? String == taskId)
            #expect(pending.first?["state"] as? String == "assigned")
            #expect(pending.first?["assigned_agent_id"] as? String == "b")
            #expect((pending.first?["payload"] as? [String: Any])?["message"] as? String == "hi")

            // Only b's owner may complete it.
            let stolen = try await client.call(.post, "/api/hub/tasks/\(taskId)", key: TestKeys.agentA, json: #"{"state":"completed","result":"x"}"#)
            #expect(stolen.status == .forbidden)
            let done = try await client.call(.post, "/api/hub/tasks/\(taskId)", key: TestKeys.agentB, json: #"{"state":"completed","result":"hello"}"#)
            #expect(done.status == .ok)
            let task = try await client.call(.get, "/api/hub/tasks/\(taskId)", key: TestKeys.hub).object()
            #expect(task["state"] as? String == "completed")
            #expect(task["result"] as? String == "hello")
            #expect(task["created_at"] is Double)

            // Final states are final.
            let again = try await client.call(.post, "/api/hub/tasks/\(taskId)", key: TestKeys.agentB, json: #"{"state":"failed","error":"late"}"#)
            #expect(again.status == .conflict)
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.agentA).array().count == 1)
            #expect(try await client.call(.get, "/api/hub/tasks/nope", key: TestKeys.agentA).status == .notFound)
        }
    }

    @Test func invalidTransitionsAre409AndUnknownStatesAre400() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            try await registerAgent(client, id: "a", key: TestKeys.agentA, skills: ["echo"])
            let id = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.admin, json: #"{"skill":"echo"}"#).object()["task_id"] as? String)
            // pending → completed skips assignment.
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.admin, json: #"{"state":"completed"}"#).status == .conflict)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.admin, json: #"{"state":"assigned"}"#).status == .conflict)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.admin, json: #"{"state":"bogus"}"#).status == .badRequest)
            // pending → failed is allowed to an admin.
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.admin, json: #"{"state":"failed","error":"cancelled"}"#).status == .ok)
        }
    }

    @Test func longPollClaimReturnsAsSoonAsATaskArrives() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            try await registerAgent(client, id: "a", key: TestKeys.agentA, skills: ["echo"])
            async let claimed = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"a","wait_ms":20000}"#)
            try await Task.sleep(for: .milliseconds(200))
            // The test client has one connection, busy with the claim: submit on another.
            let (_, submitted) = try await RegistryProcess.request(port: client.port!, "POST", "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo"}"#)
            let id = try #require((submitted as? [String: Any])?["task_id"] as? String)
            let response = try await claimed
            let tasks = try #require(try response.object()["tasks"] as? [[String: Any]])
            #expect(tasks.map { $0["id"] as? String } == [id])
            #expect(try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()["assigned_agent_id"] as? String == "a")
        }
    }

    @Test func claimWithoutWaitAndItsLimits() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            try await registerAgent(client, id: "a", key: TestKeys.agentA, skills: ["echo"])
            let empty = try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"a"}"#)
            #expect((try empty.object()["tasks"] as? [Any])?.isEmpty == true)
            #expect(try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"a","wait_ms":30001}"#).status == .badRequest)
            #expect(try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"a"}"#).status == .forbidden)
            #expect(try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"ghost"}"#).status == .notFound)
            _ = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo"}"#)
            _ = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"other"}"#)
            let some = try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"a","skill_names":["echo"]}"#)
            #expect((try some.object()["tasks"] as? [Any])?.count == 1)
        }
    }

    @Test func ttlExpiryFailsPendingAndAssignedTasks() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.router) { client in
            try await registerAgent(client, id: "a", key: TestKeys.agentA, skills: ["echo"])
            let short = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"nobody-has-it","ttl":5}"#).object()["task_id"] as? String)
            let assigned = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo","ttl":5}"#).object()["task_id"] as? String)
            let long = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"nobody-has-it","ttl":60}"#).object()["task_id"] as? String)
            _ = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"a","skill_names":["echo"]}"#)

            clock.advance(4.9)
            try await server.services.state.sweep(now: clock.now)
            #expect(try await client.call(.get, "/api/hub/tasks/\(short)", key: TestKeys.hub).object()["state"] as? String == "pending")

            clock.advance(0.2)
            try await server.services.state.sweep(now: clock.now)
            for id in [short, assigned] {
                let task = try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()
                #expect(task["state"] as? String == "failed")
                #expect(task["error"] as? String == "TTL expired")
            }
            #expect(try await client.call(.get, "/api/hub/tasks/\(long)", key: TestKeys.hub).object()["state"] as? String == "pending")
            // A completion after expiry is a conflict, not a resurrection.
            let late = try await client.call(.post, "/api/hub/tasks/\(assigned)", key: TestKeys.agentA, json: #"{"state":"completed"}"#)
            #expect(late.status == .conflict)
        }
    }

    @Test func ttlExpiryHappensOnItsOwnWithinAboutASecond() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let id = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"x","ttl":1}"#).object()["task_id"] as? String)
            var state = ""
            for _ in 0..<40 where state != "failed" {
                try await Task.sleep(for: .milliseconds(100))
                state = try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()["state"] as? String ?? ""
            }
            #expect(state == "failed")
        }
    }
}
