import MeshProtocol

/// `find_agent`: which active agent the registry routes a skill to.
struct FindAgentSkill: Skill {
    let context: MeshContext
    let definition = SkillDefinition(
        name: "find_agent", description: "Find an active agent in the mesh that offers a given skill.",
        parameters: [SkillParameter(name: "skill", kind: .string, description: "The skill name to look for", required: true)])

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        let skill = arguments["skill"]?.stringValue ?? ""
        guard let agent = try await context.registry.route(skill: skill) else { return "No agent found with skill '\(skill)'" }
        return "Agent '\(agent.agentId)' (peer: \(agent.sidecarPeerId)) has skill '\(skill)'"
    }
}
