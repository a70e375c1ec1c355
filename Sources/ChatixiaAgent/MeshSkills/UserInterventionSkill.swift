import MeshProtocol

/// `user_intervention`: a person's message from the hub, answered by the LLM (upstream only echoed it).
struct UserInterventionSkill: Skill {
    let prompt: @Sendable (String) async throws -> String
    let definition = SkillDefinition(
        name: "user_intervention", description: "A message from a person on the hub dashboard; the agent answers it.",
        parameters: [SkillParameter(name: "message", kind: .string, description: "The person's message", required: true)])

    func run(_ arguments: [String: JSONValue]) async throws -> String {
        try await prompt(arguments["message"]?.stringValue ?? "")
    }
}
