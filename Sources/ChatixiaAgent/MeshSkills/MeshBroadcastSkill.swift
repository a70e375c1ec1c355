import MeshProtocol

/// `mesh_broadcast`: a message to every other active agent: one DataChannel broadcast for those connected,
/// a queued message for each of the rest (upstream used one path or the other, never both).
struct MeshBroadcastSkill: Skill {
    let context: MeshContext
    let definition = SkillDefinition(
        name: "mesh_broadcast", description: "Broadcast a message to all agents connected to the mesh network.",
        parameters: [SkillParameter(name: "message", kind: .string, description: "The message to broadcast to all agents", required: true)])

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        let message = arguments["message"]?.stringValue ?? ""
        let others = try await context.registry.agents().filter { $0.agentId != context.agentId && $0.health == .active }
        let peers = await context.mesh.peers
        if !peers.isEmpty {
            let prompt = MeshMessage(
                type: MeshMessageType.agentPrompt, sourceAgent: context.agentId, targetAgent: "*",
                payload: PromptPayload(message: message, audience: .broadcast).json)
            try await context.mesh.broadcast(prompt)
        }
        var queued = 0
        for agent in others where !peers.contains(agent.sidecarPeerId) {
            _ = try await context.registry.submit(TaskSubmission(
                skill: "", targetAgentId: agent.agentId, sourceAgentId: context.agentId,
                payload: PromptPayload(message: message, audience: .broadcast).json, ttl: 60))
            queued += 1
        }
        return "Broadcast sent to \(peers.count + queued) agent(s): \(peers.count) via P2P DataChannel, \(queued) via registry"
    }
}
