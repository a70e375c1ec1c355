import MeshProtocol

extension AgentRuntime {
    /// What any request asks for, whether it came from the queue or over the mesh: a skill with arguments,
    /// a prompt for the LLM, or a message that only needs delivering.
    /// `requester` is who asks, as authenticated (a mesh peer, whose role the agent cannot see; a task's
    /// submitter; nil for a task from before submitters were recorded): a skill's access rules hold for a direct
    /// call and for every tool the model may use to answer a prompt.
    /// `onDelta` receives the pieces of the answer as they come: a prompt's as the LLM streams it, a skill's
    /// that answers in pieces (an outside A2A agent, a delegation).
    func perform(
        skill: String, payload: JSONValue, from source: String, requester: Requester?, onDelta: ChatCompletionClient.DeltaHandler? = nil
    ) async throws -> String {
        var arguments: [String: JSONValue]
        switch payload {
        case .object(let object): arguments = object
        case .string(let text): arguments = ["message": .string(text)]
        default: arguments = [:]
        }
        let mayUse = toolFilter(for: requester)
        if !skill.isEmpty, !mayUse(skill), let requester {
            throw SkillError.failed(skill: skill, reason: "\(requester.role == nil ? "peer" : "credential") \(requester.peerId) may not run it on agent \(agentId)")
        }
        if skill == "user_intervention", skills.contains(skill) {
            guard let message = arguments["message"]?.stringValue, !message.isEmpty else {
                throw SkillError.failed(skill: skill, reason: "the request carries no message")
            }
            return try await prompts.answer(message, onDelta: onDelta, mayUse: mayUse)
        }
        guard skill.isEmpty else { return try await skills.invoke(skill, arguments: arguments, onDelta: onDelta) }

        let prompt = PromptPayload(.object(arguments))
        let message = prompt.message
        if prompt.audience != .asked {
            // mesh_send / mesh_broadcast through the queue: delivering it is the whole task.
            receive(message, from: source, broadcast: prompt.audience == .broadcast)
            return "delivered to \(agentId)"
        }
        guard !message.isEmpty else { throw SkillError.failed(skill: "(none)", reason: "the request names no skill and carries no message") }
        return try await prompts.answer(message, onDelta: onDelta, mayUse: mayUse)
    }
}

extension AgentRuntime {
    /// Who asks for work, as authenticated: a subject and, for queue tasks, its role.
    struct Requester: Sendable {
        let peerId: String
        let role: Role?
    }

    /// Which skills `requester` may run here, by their access rules (all, for an unknown requester).
    func toolFilter(for requester: Requester?) -> @Sendable (String) -> Bool {
        let rules = skillAccess
        return { name in requester.map { SkillAccess.permits(rules[name] ?? [], peerId: $0.peerId, role: $0.role) } ?? true }
    }

    /// A message for this agent (mesh_send or mesh_broadcast from another agent): shown in the log.
    func receive(_ message: String, from source: String, broadcast: Bool) {
        logger.notice("message", metadata: ["from": "\(source)", "kind": "\(broadcast ? "broadcast" : "direct")", "text": "\(message.prefix(500))"])
    }
}
