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
        #expect(message.payload == .null)
        #expect(message.targetId == nil)
        let encoded = try object(message)
        #expect(Set(encoded.keys) == ["type", "peer_id", "payload"])
        #expect(encoded["payload"] is NSNull)
        #expect(throws: DecodingError.self) { try decode(SignalingMessage.self, #"{"peer_id":"p"}"#) }
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
