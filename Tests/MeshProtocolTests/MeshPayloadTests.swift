import Foundation
import Testing

@testable import MeshProtocol

/// The agents' mesh payloads read upstream's JSON as it is written (UPSTREAM.md §3) and write it back the same,
/// fields they do not know included.
@Suite struct MeshPayloadTests {
    func json(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func aTaskRequestSplitsRoutingFromTheSkillsArguments() throws {
        let upstream = TaskRequestPayload(try json(#"{"skill":"echo","message":"hi","extra":{"n":1}}"#))
        #expect(upstream.skill == "echo")
        #expect(upstream.stream == false)
        #expect(upstream.arguments == (try json(#"{"message":"hi","extra":{"n":1}}"#)))
        #expect(upstream.json == (try json(#"{"skill":"echo","message":"hi","extra":{"n":1}}"#)))
        let ours = TaskRequestPayload(skill: "echo", stream: true, arguments: .object(["message": .string("hi")]))
        #expect(ours.json == (try json(#"{"skill":"echo","stream":true,"message":"hi"}"#)))
        #expect(TaskRequestPayload(ours.json) == ours)
    }

    @Test func anOutcomeIsAResultOrAnError() throws {
        #expect(MeshOutcome(result: "done").json == (try json(#"{"result":"done","error":""}"#)))
        let failed = MeshOutcome(try json(#"{"result":"","error":"boom"}"#))
        #expect(failed.failed)
        #expect(failed.error == "boom")
        #expect(!MeshOutcome(try json(#"{"result":"ok"}"#)).failed)
    }

    @Test func promptsSayWhoTheyAreFor() throws {
        #expect(PromptPayload(try json(#"{"message":"hi","broadcast":true}"#)) == PromptPayload(message: "hi", audience: .broadcast))
        #expect(PromptPayload(try json(#"{"message":"hi","direct":true}"#)).audience == .direct)
        #expect(PromptPayload(try json(#"{"message":"hi"}"#)).audience == .asked)
        for audience in [PromptPayload.Audience.asked, .direct, .broadcast] {
            let prompt = PromptPayload(message: "x", audience: audience)
            #expect(PromptPayload(prompt.json) == prompt)
        }
    }

    @Test func chunksQueriesAnswersAndStatusRoundTrip() throws {
        let chunk = StreamChunkPayload(delta: "pi", index: 3)
        #expect(chunk.json == (try json(#"{"delta":"pi","index":3}"#)))
        #expect(StreamChunkPayload(chunk.json) == chunk)
        #expect(SkillQueryPayload(try json(#"{"skill":"echo"}"#)).skill == "echo")
        #expect(SkillQueryPayload(try json("{}")).skill == nil)
        let answer = SkillAnswerPayload(agentId: "a", skills: ["echo", "sum"], hasSkill: true)
        #expect(answer.json == (try json(#"{"agent_id":"a","skills":["echo","sum"],"has_skill":true}"#)))
        #expect(SkillAnswerPayload(answer.json) == answer)
        #expect(SkillAnswerPayload(try json(#"{"agent_id":"a","skills":[]}"#)).hasSkill == nil)
        let status = AgentStatusPayload(agentId: "a", status: "online", skills: ["echo"])
        #expect(AgentStatusPayload(status.json) == status)
    }
}
