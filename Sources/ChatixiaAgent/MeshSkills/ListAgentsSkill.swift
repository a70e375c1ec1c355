import MeshProtocol

/// `list_agents`: every registered agent as markdown (upstream's format).
struct ListAgentsSkill: Skill {
    let context: MeshContext
    let definition = SkillDefinition(
        name: "list_agents",
        description: "List all agents currently connected to the mesh network, including their skills, health status, and WebRTC peer IDs.")

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        let agents = try await context.registry.agents()
        if agents.isEmpty { return "No agents connected to the mesh." }
        var lines = ["## Mesh Agents", ""]
        for agent in agents {
            let you = agent.agentId == context.agentId ? " **(you)**" : ""
            let skills = agent.capabilities.skills
            lines.append("- **\(agent.agentId)**\(you) [\(agent.health.rawValue)]")
            lines.append("  host: \(agent.hostname) (\(agent.ip):\(agent.port)), mode: \(agent.mode)")
            lines.append("  peer: \(agent.sidecarPeerId)")
            lines.append("  skills: \(skills.prefix(10).joined(separator: ", "))")
            if skills.count > 10 { lines.append("  ... and \(skills.count - 10) more") }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
