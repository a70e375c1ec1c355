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
    /// Whether the agent's card says it streams (`SendStreamingMessage`).
    let streams: Bool

    init(client: A2AClient, endpoint: String, skill: A2AAgentCard.Skill, name: String, streams: Bool) {
        self.client = client
        self.endpoint = endpoint
        self.streams = streams
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
        try await run(arguments, onDelta: nil)
    }

    /// With `onDelta`, and an agent whose card says it streams, the answer is asked for as a stream and its
    /// text goes to `onDelta` as it arrives: what each artifact update adds to its artifact's text (parts
    /// joined by line breaks, and artifacts after a line break, as the result joins them).
    func run(_ arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String {
        var parts = [A2APart(text: arguments["message"]?.stringValue ?? "")]
        if let data = arguments["data"], data != .null { parts.append(A2APart(data: data)) }
        let message = A2AMessage(
            messageId: MeshMessage.newRequestId(), role: .user, parts: parts, metadata: remoteSkill.isEmpty ? nil : .object(["skill": .string(remoteSkill)]))
        guard let onDelta, streams else { return try outcome(of: try await client.send(message, to: endpoint)) }
        var last: A2AStreamResponse?
        var task: A2ATask?
        var artifacts: [A2AArtifact] = []
        // The text handed on so far, per artifact: an update that replaces an artifact with more of the same
        // text (the mesh's own gateway sends the answer so far) passes on only what is new.
        var handedOn: [String: String] = [:]
        try await client.stream(message, to: endpoint) { event in
            switch event {
            case .message:
                last = event
            case .task(let started):
                task = started
                artifacts = started.artifacts ?? []
            case .statusUpdate(let update):
                if task == nil { task = A2ATask(id: update.taskId, contextId: update.contextId, status: update.status) }
                task?.status = update.status
            case .artifactUpdate(let update):
                let id = update.artifact.artifactId
                let index: Int
                if let known = artifacts.firstIndex(where: { $0.artifactId == id }) {
                    index = known
                    if update.append == true { artifacts[index].parts += update.artifact.parts } else { artifacts[index] = update.artifact }
                } else {
                    index = artifacts.endIndex
                    artifacts.append(update.artifact)
                }
                let text = artifacts[index].parts.compactMap(\.text).joined(separator: "\n")
                let before = handedOn[id] ?? ""
                // Text that rewrites what was handed on cannot be taken back; the result will say it whole.
                guard text.hasPrefix(before), text.count > before.count else { return }
                let separator = before.isEmpty && !handedOn.values.allSatisfy(\.isEmpty) ? "\n" : ""
                handedOn[id] = text
                await onDelta(separator + text.dropFirst(before.count))
            }
        }
        if let last { return try outcome(of: last) }
        guard var task else { throw SkillError.failed(skill: definition.name, reason: "the A2A agent's stream ended without a task or message") }
        task.artifacts = artifacts
        return try outcome(of: .task(task))
    }

    /// The answer an A2A agent's reply or finished task stands for: its artifacts (text as text, anything else
    /// whole, as a structured result) or its reply's text; a task that did not complete is an error.
    private func outcome(of answer: A2AStreamResponse) throws -> String {
        switch answer {
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
