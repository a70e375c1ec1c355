/// What a credential may do. `admin` everything; `hub` reads and submits tasks; `agent` acts for its own agents.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    case admin, hub, agent
}

/// Who a credential stands for: its subject (peer id) and role. An entry of the keys file, and a task's
/// `submitted_by`: `{"peer_id", "role"}`.
public struct Principal: Sendable, Hashable, Codable {
    public var peerId: String
    public var role: Role

    public init(peerId: String, role: Role) {
        self.peerId = peerId
        self.role = role
    }

    enum CodingKeys: String, CodingKey { case peerId = "peer_id", role }
}
