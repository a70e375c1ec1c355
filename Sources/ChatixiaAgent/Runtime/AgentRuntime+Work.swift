import MeshProtocol

extension AgentRuntime {
    /// What any request asks for, whether it came from the queue or over the mesh: a skill with arguments,
    /// a prompt for the LLM, or a message that only needs delivering.
    func perform(skill: String, payload: JSONValue, from source: String) async throws -> String {
        var arguments: [String: JSONValue]
        switch payload {
        case .object(let object): arguments = object
        case .string(let text): arguments = ["message": .string(text)]
        default: arguments = [:]
        }
        guard skill.isEmpty else { return try await skills.invoke(skill, arguments: arguments) }

        let message = arguments["message"]?.stringValue ?? ""
        if arguments["direct"] == .bool(true) || arguments["broadcast"] == .bool(true) {
            // mesh_send / mesh_broadcast through the queue: delivering it is the whole task.
            receive(message, from: source, broadcast: arguments["broadcast"] == .bool(true))
            return "delivered to \(agentId)"
        }
        guard !message.isEmpty else { throw SkillError.failed(skill: "(none)", reason: "the request names no skill and carries no message") }
        return try await prompts.answer(message)
    }
}

extension AgentRuntime {
    /// A message for this agent (mesh_send or mesh_broadcast from another agent): shown in the log.
    func receive(_ message: String, from source: String, broadcast: Bool) {
        logger.notice("message", metadata: ["from": "\(source)", "kind": "\(broadcast ? "broadcast" : "direct")", "text": "\(message.prefix(500))"])
    }
}
