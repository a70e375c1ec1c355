import Foundation
import MeshProtocol
import Testing

@Suite struct WireFormatTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    func object(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as! [String: Any]
    }

    @Test func signalingMessageDefaultsAndShape() throws {
        let message = try decode(SignalingMessage.self, #"{"type":"register","peer_id":"p"}"#)
        #expect(message.body == .register)
        #expect(message.targetId == nil)
        let encoded = try object(message)
        #expect(Set(encoded.keys) == ["type", "peer_id", "payload"])
        #expect(encoded["payload"] is NSNull)
        #expect(throws: DecodingError.self) { try decode(SignalingMessage.self, #"{"peer_id":"p"}"#) }
    }

    @Test func signalingPayloadsAreTypedAndUnknownTypesPassThrough() throws {
        let frames: [(String, SignalingBody)] = [
            (#"{"type":"offer","peer_id":"a","target_id":"b","payload":{"sdp":"v=0"}}"#, .offer(sdp: "v=0")),
            (#"{"type":"ice_candidate","peer_id":"a","payload":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
             .iceCandidate(candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0)),
            (#"{"type":"peer_list","peer_id":"registry","payload":{"peers":["b",7,"c"]}}"#, .peerList(["b", "c"])),
            (#"{"type":"peer_left","peer_id":"registry","payload":{"peer_id":"b"}}"#, .peerLeft("b")),
            (#"{"type":"mesh_status","peer_id":"a","payload":{"connected_peers":[]}}"#, .meshStatus(connectedPeers: [])),
            (#"{"type":"error","peer_id":"registry","payload":{"error":"nope"}}"#, .error("nope")),
            (#"{"type":"renegotiate","peer_id":"a","payload":{"x":1}}"#, .unknown(.unknown("renegotiate"), .object(["x": .number(1)]))),
        ]
        for (text, body) in frames {
            let message = try decode(SignalingMessage.self, text)
            #expect(message.body == body)
            // Written back, it reads the same.
            #expect(try decode(SignalingMessage.self, String(decoding: try JSONEncoder().encode(message), as: UTF8.self)) == message)
        }
        // A payload without what its type needs is no frame.
        for text in [#"{"type":"offer","peer_id":"a","payload":{}}"#, #"{"type":"peer_joined","peer_id":"r","payload":{"peer_id":3}}"#] {
            #expect(throws: DecodingError.self) { try decode(SignalingMessage.self, text) }
        }
    }

    @Test func taskSubmissionDefaultsMatchUpstream() throws {
        let submission = try decode(TaskSubmission.self, "{}")
        #expect(submission == TaskSubmission(skill: "", targetAgentId: "", sourceAgentId: "", payload: .null, ttl: 300))
    }

    @Test func agentRegistrationDefaults() throws {
        let registration = try decode(AgentRegistration.self, #"{"agent_id":"a","hostname":"h"}"#)
        #expect(registration.port == 8000)
        #expect(registration.capabilities == AgentCapabilities())
        #expect(throws: DecodingError.self) { try decode(AgentRegistration.self, #"{"agent_id":"a"}"#) }
    }

    @Test func jsonValueRoundTripsAnyPayload() throws {
        let text = #"{"a":[1,2.5,"x",true,null,{"b":{}}],"big":12345678901}"#
        let value = try decode(JSONValue.self, text)
        let again = try decode(JSONValue.self, String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
        #expect(value == again)
        #expect(value["a"]?.arrayValue?.count == 6)
        #expect(String(decoding: try JSONEncoder().encode(JSONValue.number(3)), as: UTF8.self) == "3")
    }

    @Test func taskStateMachine() {
        #expect(TaskState.pending.canMove(to: .assigned))
        #expect(TaskState.pending.canMove(to: .failed))
        #expect(!TaskState.pending.canMove(to: .completed))
        #expect(TaskState.assigned.canMove(to: .completed))
        #expect(!TaskState.completed.canMove(to: .failed))
        #expect(!TaskState.failed.canMove(to: .pending))
        #expect(TaskState.assigned.canMove(to: .inputRequired))
        #expect(TaskState.inputRequired.canMove(to: .pending))
        #expect(!TaskState.inputRequired.canMove(to: .completed))
        #expect(!TaskState.rejected.canMove(to: .pending))
        #expect(TaskState.rejected.isFinal && !TaskState.inputRequired.isFinal && TaskState.inputRequired.awaitsNoAgent)
    }

    @Test func aSkillsResultSaysWhetherTheTaskIsDoneAsksForInputOrIsRejected() throws {
        #expect(TaskUpdate(skillResult: "42") == TaskUpdate(state: .completed, result: "42"))
        // A plain object with a `message` is not structured: it stays the result, as before.
        #expect(TaskUpdate(skillResult: #"{"message":"hi"}"#).state == .completed)
        let asking = #"{"state":"input_required","message":"Which city?"}"#
        #expect(TaskUpdate(skillResult: asking) == TaskUpdate(state: .inputRequired, result: asking))
        #expect(TaskUpdate(skillResult: #"{"state":"rejected","parts":[{"text":"no"}]}"#) == TaskUpdate(state: .rejected, error: "no"))
        #expect(A2AResult(#"{"state":"someday","message":"x"}"#, taskId: "t") == nil)

        // The handler of a continued task sees the turns before, the questions as text.
        var task = MeshTask(id: "t", skill: "book", targetAgentId: "", sourceAgentId: "", payload: .object(["message": .string("Paris")]), ttl: 300, now: 0)
        #expect(task.handlerPayload == task.payload)
        task.turns = [TaskTurn(request: .object(["message": .string("a room")]), reply: asking, at: 5)]
        #expect(task.turnStartedAt == 5)
        let previous: JSONValue = .object(["request": .object(["message": .string("a room")]), "reply": .string("Which city?")])
        #expect(task.handlerPayload == .object(["message": .string("Paris"), "previous_turns": .array([previous])]))
        let decoded = try decode(MeshTask.self, String(decoding: try JSONEncoder().encode(task), as: UTF8.self))
        #expect(decoded.turns == task.turns)
        // A task without turns is written as before, without the key.
        task.turns = []
        #expect(try object(task)["turns"] == nil)
    }

    @Test func claimRules() {
        let targeted = MeshTask(id: "1", skill: "echo", targetAgentId: "b", sourceAgentId: "", payload: .null, ttl: 300, now: 0)
        #expect(!targeted.isClaimable(by: "a", skills: ["echo"]))
        #expect(targeted.isClaimable(by: "b", skills: []))
        let bySkill = MeshTask(id: "2", skill: "echo", targetAgentId: "", sourceAgentId: "", payload: .null, ttl: 300, now: 0)
        #expect(bySkill.isClaimable(by: "a", skills: ["echo"]))
        #expect(!bySkill.isClaimable(by: "a", skills: ["other"]))
    }

    @Test func healthThresholds() {
        #expect(AgentHealth.of(secondsSinceHeartbeat: 89.9) == .active)
        #expect(AgentHealth.of(secondsSinceHeartbeat: 90) == .stale)
        #expect(AgentHealth.of(secondsSinceHeartbeat: 269) == .stale)
        #expect(AgentHealth.of(secondsSinceHeartbeat: 270) == .offline)
    }
}
