/// What a credential may do. `admin` everything; `hub` reads and submits tasks; `agent` acts for its own agents.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    case admin, hub, agent
}
