import MeshProtocol

/// `mesh_send`: a direct message to one agent, over the DataChannel or else as a queued task that the
/// receiver completes on delivery (upstream's queued messages always failed with "unknown skill: ").
struct MeshSendSkill: Skill {
    let context: MeshContext
    let definition = SkillDefinition(
        name: "mesh_send", description: "Send a direct message to a specific agent over the WebRTC mesh network.",
        parameters: [
            SkillParameter(name: "target_agent_id", kind: .string, description: "The ID of the agent to send the message to", required: true),
            SkillParameter(name: "message", kind: .string, description: "The message content to send", required: true),
        ])

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        let target = arguments["target_agent_id"]?.stringValue ?? ""
        let message = arguments["message"]?.stringValue ?? ""
        if let peer = try await context.connectedPeer(of: target) {
            let prompt = MeshMessage(
                type: MeshMessageType.agentPrompt, sourceAgent: context.agentId, targetAgent: target,
                payload: PromptPayload(message: message, audience: .direct).json)
            do {
                try await context.mesh.send(prompt, to: peer)
                return "Message sent to \(target) via P2P DataChannel"
            } catch MeshClientError.refused(let reason) {
                context.logger.warning("P2P message refused; using the registry queue", metadata: ["target": "\(target)", "reason": "\(reason)"])
            }
        }
        guard try await context.registry.agent(target) != nil else {
            throw SkillError.failed(skill: "mesh_send", reason: "no agent '\(target)' is registered")
        }
        let taskId = try await context.registry.submit(TaskSubmission(
            skill: "", targetAgentId: target, sourceAgentId: context.agentId,
            payload: PromptPayload(message: message, audience: .direct).json, ttl: 60))
        return "Message sent to \(target) via registry (task_id=\(taskId))"
    }
}
