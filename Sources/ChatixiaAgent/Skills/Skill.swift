import MeshProtocol

/// Something an agent can do: a built-in mesh skill, a skill folder's handler, or a prompt to the LLM.
public protocol Skill: Sendable {
    var definition: SkillDefinition { get }
    /// Runs with arguments already validated against `definition` (defaults filled in).
    func run(_ arguments: [String: JSONValue]) async throws -> String
}
