import MeshProtocol

/// What `chatixia a2a` does from the shell: reads an A2A 1.0 agent's card, sends it a message the way an
/// agent's outside skill would (streamed when the card says it streams).
public struct A2AConsole: Sendable {
    let client: A2AClient

    /// `url`: the agent's base URL or its card's URL; `headers` go with every request (a key, say).
    public init(url: String, headers: [String: String]) {
        client = A2AClient(name: "chatixia-a2a", url: url, headers: headers, http: A2AClient.sharedHTTP)
    }

    public func card() async throws -> A2AAgentCard {
        try await client.card()
    }

    /// Sends `text` (naming `skill` in the metadata when it is not empty) and answers as an outside skill does;
    /// with `onDelta`, and a card that says it streams, the answer's pieces go there as they arrive.
    public func send(_ text: String, skill: String, onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String {
        let card = try await client.card()
        let remote = A2ARemoteSkill(
            client: client, endpoint: try client.endpoint(of: card), skill: A2AAgentCard.Skill(id: skill, name: skill, description: "", tags: []),
            name: skill.isEmpty ? "a2a" : skill, streams: card.capabilities.streaming)
        return try await remote.run(["message": .string(text)], onDelta: onDelta)
    }
}
