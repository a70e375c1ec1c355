import MeshProtocol

/// Something an agent can do: a built-in mesh skill, a skill folder's handler, or a prompt to the LLM.
public protocol Skill: Sendable {
    var definition: SkillDefinition { get }
    /// Runs with arguments already validated against `definition` (defaults filled in).
    func run(_ arguments: [String: JSONValue]) async throws -> String
    /// Runs as `run(_:)`, handing `onDelta` the pieces of the answer as they come, for a skill whose answer
    /// arrives in pieces (an outside agent's stream, a delegation); they concatenate to the result.
    func run(_ arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String
}

extension Skill {
    /// Most skills answer in one piece.
    public func run(_ arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String {
        try await run(arguments)
    }
}
