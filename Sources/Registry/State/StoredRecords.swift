import MeshProtocol

/// An agent as persisted: its registration, who owns it, and its timestamps (epoch seconds).
struct StoredAgent: Codable, Sendable, Hashable {
    var registration: AgentRegistration
    /// The peer id of the credential that first registered this agent id ("" for anonymous).
    var owner: String
    var registeredAt: Double
    var lastHeartbeat: Double
}

/// A pairing entry as persisted, with its secrets kept only as SHA-256 hashes once delivered.
struct StoredPairing: Codable, Sendable, Hashable {
    var entry: PairingEntry
    var claimSecretHash: String
    var deviceTokenHash: String?
    /// The device token until the pairing client has collected it through the status endpoint.
    var undeliveredDeviceToken: String?
}

/// A live invite code.
struct StoredCode: Codable, Sendable, Hashable {
    var code: String
    var expiresAt: Double
}
