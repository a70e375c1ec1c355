import MeshProtocol

/// One tool of an MCP server, offered as a skill: to the LLM as a tool, and to the mesh and the queue by name.
struct MCPToolSkill: Skill {
    let definition: SkillDefinition
    /// The tool's name on its server (the skill's name differs when two tools share a name).
    let tool: String
    let server: MCPServerConnection

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        let result = try await server.call(tool, arguments: arguments.mapValues(MCPToolMapping.value(from:)))
        return try MCPToolMapping.text(of: result, skill: definition.name)
    }
}
