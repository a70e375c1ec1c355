/// Status of an onboarding (pairing) entry.
public enum PairingStatus: String, Sendable, Hashable, Codable {
    case pendingApproval = "pending_approval"
    case approved, rejected, revoked
}

/// An onboarding entry as the API lists it (upstream `OnboardingEntry`); never carries the device token.
public struct PairingEntry: Sendable, Hashable, Codable {
    public var id: String
    public var agentName: String
    public var peerId: String
    public var status: PairingStatus
    public var createdAt: Double
    public var updatedAt: Double

    public init(id: String, agentName: String, peerId: String, status: PairingStatus, createdAt: Double, updatedAt: Double) {
        self.id = id
        self.agentName = agentName
        self.peerId = peerId
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, agentName = "agent_name", peerId = "peer_id", status, createdAt = "created_at", updatedAt = "updated_at"
    }
}
