import MeshProtocol

/// An agent as persisted: its registration and its timestamps (epoch seconds).
struct StoredAgent: Codable, Sendable, Hashable {
    var registration: AgentRegistration
    var registeredAt: Double
    var lastHeartbeat: Double
}

/// Who owns an agent id. Kept when the agent deregisters, so nobody else can take the id while its owner
/// restarts; only an admin releases or transfers it.
struct StoredOwnership: Codable, Sendable, Hashable {
    var agentId: String
    /// The subject (peer id) of the credential that first registered the id ("" for anonymous callers).
    var owner: String
    /// When the id was first registered: the routing order, which re-registering cannot change.
    var since: Double
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
