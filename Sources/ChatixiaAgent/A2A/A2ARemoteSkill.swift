import Foundation
import MeshProtocol

/// A skill of an outside A2A agent, as one of ours: the LLM can call it as a tool and tasks can name it.
/// It sends `message` (and `data`, any JSON) as a user message naming the remote skill and answers with the
/// task's artifacts, or the reply's text.
struct A2ARemoteSkill: Skill {
    let definition: SkillDefinition
    let client: A2AClient
    let endpoint: String
    let remoteSkill: String

    init(client: A2AClient, endpoint: String, skill: A2AAgentCard.Skill, name: String) {
        self.client = client
        self.endpoint = endpoint
        self.remoteSkill = skill.id
        var definition = SkillDefinition(
            name: name, description: "\(skill.description) (skill '\(skill.id)' of the A2A agent '\(client.name)')",
            parameters: [SkillParameter(name: "message", kind: .string, description: "What to ask", required: true)])
        definition.inputSchema = .object([
            "type": .string("object"),
            "properties": .object([
                "message": .object(["type": .string("string"), "description": .string("What to ask")]),
                "data": .object(["type": .string("object"), "description": .string("Structured input, if the skill takes any")]),
            ]),
            "required": .array([.string("message")]),
        ])
        self.definition = definition
    }

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        var parts = [A2APart(text: arguments["message"]?.stringValue ?? "")]
        if let data = arguments["data"], data != .null { parts.append(A2APart(data: data)) }
        let message = A2AMessage(
            messageId: MeshMessage.newRequestId(), role: .user, parts: parts, metadata: .object(["skill": .string(remoteSkill)]))
        switch try await client.send(message, to: endpoint) {
        case .message(let reply):
            return reply.text
        case .task(let task):
            let reply = task.status.message?.text ?? ""
            switch task.status.state {
            case .completed:
                let artifacts = task.artifacts ?? []
                let parts = artifacts.flatMap(\.parts)
                if parts.isEmpty { return reply }
                // Text stays text; anything else (data, files) is passed on whole, as a structured result.
                if parts.allSatisfy({ $0.text != nil }) { return parts.compactMap(\.text).joined(separator: "\n") }
                return Self.json(.object(["artifacts": .array(artifacts.map { artifact in
                    var entry: [String: JSONValue] = ["parts": (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(artifact.parts))) ?? .array([])]
                    if let name = artifact.name { entry["name"] = .string(name) }
                    return .object(entry)
                })]))
            case .inputRequired, .authRequired:
                throw SkillError.failed(skill: definition.name, reason: "the A2A agent asks for more (\(task.status.state.rawValue)): \(reply)")
            default:
                throw SkillError.failed(skill: definition.name, reason: "the A2A agent's task ended \(task.status.state.rawValue): \(reply)")
            }
        case .statusUpdate, .artifactUpdate:
            throw SkillError.failed(skill: definition.name, reason: "the A2A agent answered SendMessage with a stream event")
        }
    }

    static func json(_ value: JSONValue) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
