import Foundation
import HTTPTypes
import HummingbirdTesting
import MeshProtocol
import Testing

@testable import Registry

/// The A2A 1.0 gateway: the agent card, JSON-RPC methods and their errors, A2A tasks as registry tasks.
@Suite struct A2ATests {
    func register(_ client: some TestClientProtocol, id: String, skills: [String], key: String = TestKeys.agentA) async throws {
        let object: [String: Any] = ["agent_id": id, "hostname": "h", "capabilities": ["skills": skills]]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(try await client.call(.post, "/api/registry/agents", key: key, json: body).status == .ok)
    }

    /// One JSON-RPC call; the answer's `result` or `error` as JSON.
    func rpc(
        _ client: some TestClientProtocol, _ method: String, _ params: [String: Any], key: String = TestKeys.hub, version: String? = "1.0",
        path: String = "/a2a"
    ) async throws -> (result: [String: Any]?, error: [String: Any]?) {
        var headers: HTTPFields = [:]
        if let version { headers[HTTPField.Name("A2A-Version")!] = version }
        let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": "req-1", "method": method, "params": params])
        let response = try await client.call(.post, path, key: key, headers: headers, json: String(decoding: body, as: UTF8.self))
        #expect(response.status == .ok)
        let answer = try response.object()
        #expect(answer["id"] as? String == "req-1")
        return (answer["result"] as? [String: Any], answer["error"] as? [String: Any])
    }

    func message(skill: String?, data: [String: Any]? = nil, text: String? = nil) -> [String: Any] {
        var parts: [[String: Any]] = []
        if let data { parts.append(["data": data]) }
        if let text { parts.append(["text": text]) }
        var message: [String: Any] = ["messageId": UUID().uuidString, "role": "ROLE_USER", "parts": parts, "contextId": "ctx-1"]
        if let skill { message["metadata"] = ["skill": skill] }
        return message
    }

    /// Heartbeats as agent `agentId` (key A) until the registry assigns it tasks (a call under test is submitting
    /// one meanwhile); those tasks.
    func heartbeatUntilAssigned(_ client: some TestClientProtocol, to agentId: String, skill: String) async throws -> [[String: Any]] {
        for _ in 0..<200 {
            try await Task.sleep(for: .milliseconds(10))
            let beat = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"\#(agentId)","skill_names":["\#(skill)"]}"#)
            if let tasks = try beat.object()["pending_tasks"] as? [[String: Any]], !tasks.isEmpty { return tasks }
        }
        return []
    }

    func state(_ task: [String: Any]?) -> String? { (task?["status"] as? [String: Any])?["state"] as? String }

    @Test func theCardIsPublicAndListsTheSkillsOfActiveAgents() async throws {
        let server = try await RegistryServer.test { $0.publicURL = "https://mesh.example" }
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate", "user_intervention"])
            let object: [String: Any] = [
                "agent_id": "clock", "hostname": "h",
                "capabilities": [
                    "skills": ["date_time"], "skill_descriptions": ["date_time": "Tells the time in any zone."],
                    "skill_cards": ["date_time": ["tags": ["time", "clock"], "examples": ["What time is it in Tokyo?"], "output_modes": ["application/json"]]],
                ],
            ]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(try await client.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: body).status == .ok)
            let card = try await client.call(.get, "/.well-known/agent-card.json").object()
            #expect(card["name"] as? String == "chatixia-mesh")
            let interface = try #require((card["supportedInterfaces"] as? [[String: Any]])?.first)
            #expect(interface["url"] as? String == "https://mesh.example/a2a")
            #expect(interface["protocolBinding"] as? String == "JSONRPC")
            #expect(interface["protocolVersion"] as? String == "1.0")
            #expect((card["capabilities"] as? [String: Bool])?["streaming"] == true)
            let skills = try #require(card["skills"] as? [[String: Any]])
            #expect(skills.compactMap { $0["id"] as? String } == ["calculate", "date_time", "user_intervention"])
            #expect(skills.first?["tags"] as? [String] == ["chatixia", "calc"])
            // The agent's own description of a skill, else a generic one.
            #expect(skills[1]["description"] as? String == "Tells the time in any zone.")
            #expect(skills[0]["description"] as? String == "Skill 'calculate' of calc.")
            // Tags, examples and modes from the skill's skill.json, as the agent sent them.
            #expect(skills[1]["tags"] as? [String] == ["chatixia", "clock", "time"])
            #expect(skills[1]["examples"] as? [String] == ["What time is it in Tokyo?"])
            #expect(skills[1]["outputModes"] as? [String] == ["application/json"])
            #expect(skills[0]["examples"] == nil)
            #expect(skills[0]["outputModes"] as? [String] == ["text/plain"])
            // The card is public, so what an agent may put on it is bounded.
            let flood: [String: Any] = [
                "agent_id": "flood", "hostname": "h",
                "capabilities": ["skills": ["spam"], "skill_cards": ["spam": ["examples": Array(repeating: "buy now", count: 33)]]],
            ]
            let refused = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: String(decoding: try JSONSerialization.data(withJSONObject: flood), as: UTF8.self))
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("skill_cards.spam.examples must hold at most 32 entries"))

            let one = try await client.call(.get, "/a2a/agents/clock/.well-known/agent-card.json").object()
            #expect((one["skills"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["date_time"])
            #expect((one["supportedInterfaces"] as? [[String: Any]])?.first?["url"] as? String == "https://mesh.example/a2a/agents/clock")
            #expect(try await client.call(.get, "/a2a/agents/nobody/.well-known/agent-card.json").status == .notFound)
        }
    }

    @Test func cardsAreRateLimitedPerAddressAndMessagesCountAsSubmissions() async throws {
        let server = try await RegistryServer.test { $0.limits.submissionsPerMinute = 1 }
        try await server.application.test(.router) { client async throws in
            for _ in 0..<120 { #expect(try await client.call(.get, "/.well-known/agent-card.json").status == .ok) }
            #expect(try await client.call(.get, "/.well-known/agent-card.json").status == .tooManyRequests)
            try await register(client, id: "calc", skills: ["calculate"])
            let send: [String: Any] = ["message": message(skill: "calculate", text: "1"), "configuration": ["returnImmediately": true]]
            #expect(try await rpc(client, "SendMessage", send).result != nil)
            let second = try await client.call(
                .post, "/a2a", key: TestKeys.hub, headers: [HTTPField.Name("A2A-Version")!: "1.0"],
                json: String(decoding: try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 2, "method": "SendMessage", "params": send]), as: UTF8.self))
            #expect(second.status == .tooManyRequests)
        }
    }

    @Test func theEndpointNeedsACredentialAndVersionOneAndAnswersErrorsTheSpecsWay() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let noKey = try await client.call(.post, "/a2a", json: #"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}"#)
            #expect(noKey.status == .unauthorized)
            for version in [nil, "0.3", "2.0"] {
                #expect(try await rpc(client, "GetTask", ["id": "x"], version: version).error?["code"] as? Int == -32009)
            }
            // The patch number does not count.
            #expect(try await rpc(client, "GetTask", ["id": "x"], version: "1.0.7").error?["code"] as? Int == -32001)
            #expect(try await rpc(client, "message/send", [:]).error?["code"] as? Int == -32601)
            #expect(try await rpc(client, "GetTask", ["task": 1]).error?["code"] as? Int == -32602)
            #expect(try await rpc(client, "CreateTaskPushNotificationConfig", [:]).error?["code"] as? Int == -32003)
            #expect(try await rpc(client, "GetExtendedAgentCard", [:]).error?["code"] as? Int == -32004)
            let broken = try await client.call(.post, "/a2a", key: TestKeys.hub, json: "{not json")
            #expect(try broken.object()["error"].flatMap { ($0 as? [String: Any])?["code"] as? Int } == -32700)
        }
    }

    @Test func aMessageBecomesARegistryTaskThatAnAgentFinishes() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate"])
            let sent = try await rpc(client, "SendMessage", [
                "message": message(skill: "calculate", data: ["expression": "2^8"], text: "please"), "configuration": ["returnImmediately": true],
            ])
            let task = try #require(sent.result?["task"] as? [String: Any])
            let id = try #require(task["id"] as? String)
            #expect(state(task) == "TASK_STATE_SUBMITTED")
            #expect(task["contextId"] as? String == "ctx-1")
            // The same task in the registry's own API, with the payload the message carried.
            let stored = try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()
            #expect(stored["skill"] as? String == "calculate")
            #expect(stored["context_id"] as? String == "ctx-1")
            #expect(stored["payload"] as? [String: String] == ["expression": "2^8", "message": "please"])
            #expect((stored["submitted_by"] as? [String: String])?["peer_id"] == "hub-viewer")

            let beat = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"calc","skill_names":["calculate"]}"#)
            #expect((try beat.object()["pending_tasks"] as? [[String: Any]])?.first?["id"] as? String == id)
            #expect(state(try await rpc(client, "GetTask", ["id": id]).result) == "TASK_STATE_WORKING")
            let done = try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"completed","result":"256"}"#)
            #expect(done.status == .ok)

            let finished = try #require(try await rpc(client, "GetTask", ["id": id]).result)
            #expect(state(finished) == "TASK_STATE_COMPLETED")
            let artifact = try #require((finished["artifacts"] as? [[String: Any]])?.first)
            #expect((artifact["parts"] as? [[String: String]])?.first?["text"] == "256")
            let history = try #require(finished["history"] as? [[String: Any]])
            #expect(history.map { $0["role"] as? String } == ["ROLE_USER", "ROLE_AGENT"])
            #expect((try await rpc(client, "GetTask", ["id": id, "historyLength": 0]).result)?["history"] == nil)

            let listed = try #require(try await rpc(client, "ListTasks", ["contextId": "ctx-1"]).result)
            #expect((listed["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            #expect(listed["totalSize"] as? Int == 1)
            #expect(listed["nextPageToken"] as? String == "")
            #expect((listed["tasks"] as? [[String: Any]])?.first?["artifacts"] == nil)
            #expect(try await rpc(client, "CancelTask", ["id": id]).error?["code"] as? Int == -32002)
            #expect(try await rpc(client, "SubscribeToTask", ["id": id]).error?["code"] as? Int == -32004)
        }
    }

    @Test func aStructuredResultBecomesArtifactsOfTextDataAndFiles() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["chart"])
            let sent = try await rpc(client, "SendMessage", [
                "message": message(skill: "chart", text: "plot"), "configuration": ["returnImmediately": true],
            ])
            let id = try #require((sent.result?["task"] as? [String: Any])?["id"] as? String)
            _ = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"calc","skill_names":["chart"]}"#)
            let structured: [String: Any] = ["artifacts": [
                ["name": "summary", "parts": [["text": "two points"], ["data": ["points": [1, 2]]]]],
                ["name": "image", "parts": [["raw": "iVBORw0KGgo=", "mediaType": "image/png", "filename": "chart.png"]]],
            ]]
            let result = String(decoding: try JSONSerialization.data(withJSONObject: structured), as: UTF8.self)
            let report = String(decoding: try JSONSerialization.data(withJSONObject: ["state": "completed", "result": result]), as: UTF8.self)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: report).status == .ok)

            let task = try #require(try await rpc(client, "GetTask", ["id": id]).result)
            let artifacts = try #require(task["artifacts"] as? [[String: Any]])
            #expect(artifacts.map { $0["name"] as? String } == ["summary", "image"])
            let summary = try #require(artifacts[0]["parts"] as? [[String: Any]])
            #expect(summary[0]["text"] as? String == "two points")
            #expect((summary[1]["data"] as? [String: [Int]])?["points"] == [1, 2])
            let image = try #require((artifacts[1]["parts"] as? [[String: Any]])?.first)
            #expect(image["raw"] as? String == "iVBORw0KGgo=")
            #expect(image["mediaType"] as? String == "image/png")
            #expect(image["filename"] as? String == "chart.png")
            // The status message carries the words.
            let reply = ((task["status"] as? [String: Any])?["message"] as? [String: Any])?["parts"] as? [[String: String]]
            #expect(reply?.first?["text"] == "two points")

            // A result that merely looks like JSON stays text.
            #expect(A2AResult(#"{"parts": "not a list"}"#, taskId: "t") == nil)
            #expect(A2AResult(#"{"parts": [{"text": "a", "data": 1}]}"#, taskId: "t") == nil)
            #expect(A2AResult("plain", taskId: "t") == nil)
        }
    }

    /// Reports `result` for task `id` as agent key A, in state `state`; the answer's status.
    func report(_ client: some TestClientProtocol, _ id: String, state: String, result: [String: Any]? = nil, error: String = "") async throws -> HTTPResponse.Status {
        let text = try result.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) } ?? ""
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["state": state, "result": text, "error": error]), as: UTF8.self)
        return try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: body).status
    }

    func texts(_ message: Any?) -> [String] {
        ((message as? [String: Any])?["parts"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
    }

    @Test func aSkillAsksForInputAndTheNextMessageOfTheConversationContinuesTheTask() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "desk", skills: ["book"])
            let sent = try await rpc(client, "SendMessage", ["message": message(skill: "book", text: "a room"), "configuration": ["returnImmediately": true]])
            let id = try #require((sent.result?["task"] as? [String: Any])?["id"] as? String)
            #expect(try await heartbeatUntilAssigned(client, to: "desk", skill: "book").first?["id"] as? String == id)
            // The skill asks; the task waits for its submitter and holds no slot of the agent.
            #expect(try await report(client, id, state: "input_required", result: ["state": "input_required", "message": "Which city?"]) == .ok)
            let asking = try #require(try await rpc(client, "GetTask", ["id": id]).result)
            #expect(state(asking) == "TASK_STATE_INPUT_REQUIRED")
            #expect(texts((asking["status"] as? [String: Any])?["message"]) == ["Which city?"])
            #expect(asking["artifacts"] == nil)

            // Only its submitter may continue it, in its own context.
            var answer = message(skill: nil, text: "Paris")
            answer["taskId"] = id
            let stranger = try await rpc(client, "SendMessage", ["message": answer], key: TestKeys.agentB)
            #expect(stranger.error?["code"] as? Int == -32001)
            var elsewhere = answer
            elsewhere["contextId"] = "ctx-2"
            #expect(try await rpc(client, "SendMessage", ["message": elsewhere]).error?["code"] as? Int == -32602)
            let continued = try #require(try await rpc(client, "SendMessage", ["message": answer, "configuration": ["returnImmediately": true]]).result?["task"] as? [String: Any])
            #expect(continued["id"] as? String == id)
            #expect(state(continued) == "TASK_STATE_SUBMITTED")

            // The agent gets the new request with the turn before it, and finishes.
            let next = try #require(try await heartbeatUntilAssigned(client, to: "desk", skill: "book").first)
            #expect(next["id"] as? String == id)
            #expect(next["payload"] as? [String: String] == ["message": "Paris"])
            let turns = try #require(next["turns"] as? [[String: Any]])
            #expect(turns.count == 1)
            #expect(turns.first?["request"] as? [String: String] == ["message": "a room"])
            #expect(try await report(client, id, state: "completed", result: ["parts": [["text": "booked in Paris"]]]) == .ok)
            let done = try #require(try await rpc(client, "GetTask", ["id": id]).result)
            #expect(state(done) == "TASK_STATE_COMPLETED")
            let history = try #require(done["history"] as? [[String: Any]])
            #expect(history.map { $0["role"] as? String } == ["ROLE_USER", "ROLE_AGENT", "ROLE_USER", "ROLE_AGENT"])
            #expect(history.map { texts($0) } == [["a room"], ["Which city?"], ["Paris"], ["booked in Paris"]])
            #expect(Set(history.compactMap { $0["messageId"] as? String }).count == 4)
            // A finished task takes no further messages.
            #expect(try await rpc(client, "SendMessage", ["message": answer]).error?["code"] as? Int == -32004)

            // Nobody answers the next question: the task fails once its TTL passes without input.
            let quiet = try #require((try await rpc(client, "SendMessage", ["message": message(skill: "book", text: "again"), "configuration": ["returnImmediately": true]]).result?["task"] as? [String: Any])?["id"] as? String)
            _ = try await heartbeatUntilAssigned(client, to: "desk", skill: "book")
            #expect(try await report(client, quiet, state: "input_required", result: ["state": "input_required", "message": "When?"]) == .ok)
            clock.advance(299)
            try await server.services.state.sweep(now: clock.now)
            #expect(state(try await rpc(client, "GetTask", ["id": quiet]).result) == "TASK_STATE_INPUT_REQUIRED")
            clock.advance(2)
            try await server.services.state.sweep(now: clock.now)
            let expired = try await client.call(.get, "/api/hub/tasks/\(quiet)", key: TestKeys.hub).object()
            #expect(expired["state"] as? String == "failed")
            #expect(expired["error"] as? String == "no input within the TTL")
        }
    }

    @Test func aSkillMayRejectATaskAndAWaitingTaskCanBeCanceled() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "desk", skills: ["book"])
            func send(_ text: String) async throws -> String {
                let sent = try await rpc(client, "SendMessage", ["message": message(skill: "book", text: text), "configuration": ["returnImmediately": true]])
                let id = try #require((sent.result?["task"] as? [String: Any])?["id"] as? String)
                _ = try await heartbeatUntilAssigned(client, to: "desk", skill: "book")
                return id
            }
            let refused = try await send("a castle")
            #expect(try await report(client, refused, state: "rejected", error: "we do not book castles") == .ok)
            let rejected = try #require(try await rpc(client, "GetTask", ["id": refused]).result)
            #expect(state(rejected) == "TASK_STATE_REJECTED")
            #expect(texts((rejected["status"] as? [String: Any])?["message"]) == ["we do not book castles"])
            #expect(try await rpc(client, "CancelTask", ["id": refused]).error?["code"] as? Int == -32002)
            // Rejected is final: the agent cannot complete it afterwards.
            #expect(try await report(client, refused, state: "completed", result: ["parts": [["text": "ok"]]]) == .conflict)

            let waiting = try await send("a room")
            #expect(try await report(client, waiting, state: "input_required", result: ["state": "input_required", "message": "Which city?"]) == .ok)
            #expect(state(try await rpc(client, "CancelTask", ["id": waiting]).result) == "TASK_STATE_CANCELED")
            var answer = message(skill: nil, text: "Paris")
            answer["taskId"] = waiting
            #expect(try await rpc(client, "SendMessage", ["message": answer]).error?["code"] as? Int == -32004)
            // An agent cannot move a task to a state only a skill's result may reach from `assigned`.
            #expect(try await report(client, waiting, state: "input_required") == .conflict)
        }
    }

    @Test func callsHeldOpenAreLimitedPerCredential() async throws {
        let server = try await RegistryServer.test { $0.limits.a2aOpenCallsPerCredential = 1 }
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate"])
            func send(_ blocking: Bool) async throws -> TestResponse {
                let params: [String: Any] = ["message": message(skill: "calculate", text: "1"), "configuration": ["returnImmediately": !blocking]]
                let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": params])
                return try await client.call(.post, "/a2a", key: TestKeys.hub, headers: [HTTPField.Name("A2A-Version")!: "1.0"], json: String(decoding: body, as: UTF8.self))
            }
            async let waiting = send(true)
            let assigned = try await heartbeatUntilAssigned(client, to: "calc", skill: "calculate")
            // One is open: another blocking call waits its turn; one that returns at once is fine.
            let second = try await send(true)
            #expect(second.status == .tooManyRequests)
            #expect(second.errorMessage == "this credential already has 1 A2A calls waiting or streaming, the limit")
            #expect(try await send(false).status == .ok)
            let id = try #require(assigned.first?["id"] as? String)
            _ = try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"completed","result":"1"}"#)
            #expect(try await waiting.status == .ok)
            // Its place is free again once it returned: another blocking call is admitted and answered.
            async let third = send(true)
            let next = try await heartbeatUntilAssigned(client, to: "calc", skill: "calculate")
            for task in next {
                _ = try await client.call(.post, "/api/hub/tasks/\(task["id"] as! String)", key: TestKeys.agentA, json: #"{"state":"completed","result":"2"}"#)
            }
            #expect(try await third.status == .ok)
        }
    }

    @Test func aStreamCarriesTheAnswerAsItIsWrittenThenTheResult() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "poet", skills: ["user_intervention"])
            let body = try JSONSerialization.data(withJSONObject: [
                "jsonrpc": "2.0", "id": "s-1", "method": "SendStreamingMessage", "params": ["message": message(skill: nil, text: "a poem")],
            ])
            async let streamed = client.call(
                .post, "/a2a", key: TestKeys.hub, headers: [HTTPField.Name("A2A-Version")!: "1.0"], json: String(decoding: body, as: UTF8.self))
            let assigned = try await heartbeatUntilAssigned(client, to: "poet", skill: "user_intervention")
            let id = try #require(assigned.first?["id"] as? String)
            // Only the assignee's credential may report progress, and only while the task is assigned.
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)/progress", key: TestKeys.agentB, json: #"{"text":"x"}"#).status == .forbidden)
            for text in ["Roses", "Roses are red"] {
                #expect(try await client.call(.post, "/api/hub/tasks/\(id)/progress", key: TestKeys.agentA, json: #"{"text":"\#(text)"}"#).status == .ok)
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"completed","result":"Roses are red."}"#)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)/progress", key: TestKeys.agentA, json: #"{"text":"late"}"#).status == .conflict)

            let response = try await streamed
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try response.text.split(separator: "\n\n").map { chunk -> [String: Any] in
                #expect(chunk.hasPrefix("data: "))
                let answer = try #require(try JSONSerialization.jsonObject(with: Data(chunk.dropFirst(6).utf8)) as? [String: Any])
                #expect(answer["id"] as? String == "s-1")
                return try #require(answer["result"] as? [String: Any])
            }
            func text(_ event: [String: Any]) -> String? {
                (((event["artifactUpdate"] as? [String: Any])?["artifact"] as? [String: Any])?["parts"] as? [[String: String]])?.first?["text"]
            }
            #expect(events.first?["task"] != nil)
            #expect(events.compactMap(text) == ["Roses", "Roses are red", "Roses are red."])
            #expect(((events.last?["statusUpdate"] as? [String: Any])?["status"] as? [String: Any])?["state"] as? String == "TASK_STATE_COMPLETED")
        }
    }

    @Test func aBlockingSendReturnsTheFinishedTask() async throws {
        let server = try await RegistryServer.test()
        // The router client runs requests side by side (the live one queues them on one connection).
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate"])
            async let sent = rpc(client, "SendMessage", ["message": message(skill: "calculate", data: ["expression": "6*7"])])
            let assigned = try await heartbeatUntilAssigned(client, to: "calc", skill: "calculate")
            let id = try #require(assigned.first?["id"] as? String)
            _ = try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"failed","error":"division by zero"}"#)
            let task = try #require(try await sent.result?["task"] as? [String: Any])
            #expect(task["id"] as? String == id)
            #expect(state(task) == "TASK_STATE_FAILED")
            let reason = ((task["status"] as? [String: Any])?["message"] as? [String: Any])?["parts"] as? [[String: String]]
            #expect(reason?.first?["text"] == "division by zero")
        }
    }

    @Test func theSubmitterCancelsAndOthersCannotSeeTheTask() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate"])
            let sent = try await rpc(client, "SendMessage", [
                "message": message(skill: "calculate", data: ["expression": "1"]), "configuration": ["returnImmediately": true],
            ], key: TestKeys.agentB)
            let id = try #require((sent.result?["task"] as? [String: Any])?["id"] as? String)
            // Another credential's task is not found, in every method.
            for method in ["GetTask", "CancelTask", "SubscribeToTask"] {
                #expect(try await rpc(client, method, ["id": id], key: TestKeys.hub).error?["code"] as? Int == -32001, "\(method)")
            }
            #expect((try await rpc(client, "ListTasks", [:], key: TestKeys.hub).result?["tasks"] as? [Any])?.isEmpty == true)
            // The admin sees everything.
            #expect(state(try await rpc(client, "GetTask", ["id": id], key: TestKeys.admin).result) == "TASK_STATE_SUBMITTED")

            let canceled = try #require(try await rpc(client, "CancelTask", ["id": id], key: TestKeys.agentB).result)
            #expect(state(canceled) == "TASK_STATE_CANCELED")
            #expect(try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()["state"] as? String == "canceled")
            // Over the REST API too: only the submitter or an admin, and only while open.
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)/cancel", key: TestKeys.hub).status == .forbidden)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)/cancel", key: TestKeys.admin).status == .conflict)
            // A canceled task is handed to no agent.
            let beat = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"calc","skill_names":["calculate"]}"#)
            #expect((try beat.object()["pending_tasks"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func cancelingAnAssignedTaskTellsItsAgentOnce() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let beat = #"{"agent_id":"calc","skill_names":["calculate"]}"#
            _ = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: beat)
            let submitted = try await client.call(.post, "/api/hub/tasks", key: TestKeys.agentB, json: #"{"skill":"calculate","payload":{"message":"1"}}"#)
            let id = try #require(try submitted.object()["task_id"] as? String)
            let first = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: beat).object()
            #expect((first["pending_tasks"] as? [[String: Any]])?.first?["id"] as? String == id)
            #expect(first["canceled_tasks"] == nil)
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)/cancel", key: TestKeys.agentB).status == .ok)
            let second = try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: beat).object()
            #expect(second["canceled_tasks"] as? [String] == [id])
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: beat).object()["canceled_tasks"] == nil)
            // Its report comes too late.
            let late = try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"completed","result":"1"}"#)
            #expect(late.status == .conflict)

            // A long-poll the agent has waiting ends the moment a task it holds is canceled.
            let next = try #require(try await client.call(.post, "/api/hub/tasks", key: TestKeys.agentB, json: #"{"skill":"calculate"}"#).object()["task_id"] as? String)
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: beat).status == .ok)
            let started = ContinuousClock.now
            async let waiting = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"calc","wait_ms":20000}"#)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await client.call(.post, "/api/hub/tasks/\(next)/cancel", key: TestKeys.agentB).status == .ok)
            let answer = try await waiting.object()
            #expect(answer["canceled_tasks"] as? [String] == [next])
            #expect((answer["tasks"] as? [Any])?.isEmpty == true)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func messagesTheMeshCannotTakeAreRefused() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            try await register(client, id: "calc", skills: ["calculate"])
            let nobody = try await rpc(client, "SendMessage", ["message": message(skill: "teleport", text: "go")])
            #expect(nobody.error?["code"] as? Int == -32602)
            #expect((nobody.error?["message"] as? String)?.contains("teleport") == true)
            // No skill: a prompt, and no agent here answers prompts.
            #expect(try await rpc(client, "SendMessage", ["message": message(skill: nil, text: "hi")]).error?["code"] as? Int == -32602)
            var file = message(skill: "calculate")
            file["parts"] = [["url": "https://example.invalid/a.png", "mediaType": "image/png"]]
            #expect(try await rpc(client, "SendMessage", ["message": file]).error?["code"] as? Int == -32005)
            var fromAgent = message(skill: "calculate", text: "x")
            fromAgent["role"] = "ROLE_AGENT"
            #expect(try await rpc(client, "SendMessage", ["message": fromAgent]).error?["code"] as? Int == -32602)
            // An agent's own endpoint targets it.
            let targeted = try await rpc(client, "SendMessage", [
                "message": message(skill: nil, text: "hello"), "configuration": ["returnImmediately": true],
            ], path: "/a2a/agents/calc")
            let id = try #require((targeted.result?["task"] as? [String: Any])?["id"] as? String)
            let stored = try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()
            #expect(stored["target_agent_id"] as? String == "calc")
            #expect(stored["skill"] as? String == "user_intervention")
        }
    }
}
