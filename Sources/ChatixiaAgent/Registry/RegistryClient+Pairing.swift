import MeshProtocol

/// `POST /api/pairing/pair`'s answer: the entry to wait on and the secret that collects its device token.
public struct PairingTicket: Sendable, Decodable, Equatable {
    public var id: String
    public var status: PairingStatus
    public var peerId: String
    public var claimSecret: String

    enum CodingKeys: String, CodingKey { case id, status, peerId = "peer_id", claimSecret = "claim_secret" }
}

/// `GET /api/pairing/{id}/status`: the entry's status, with the device token exactly once after approval.
public struct PairingProgress: Sendable, Decodable, Equatable {
    public var status: PairingStatus
    public var peerId: String?
    public var deviceToken: String?

    enum CodingKeys: String, CodingKey { case status, peerId = "peer_id", deviceToken = "device_token" }
}

extension RegistryClient {
    /// Redeems a 6-digit invite code (needs no credential).
    public func pair(code: String, agentName: String) async throws -> PairingTicket {
        struct Body: Encodable {
            var code: String
            var agentName: String
            enum CodingKeys: String, CodingKey { case code, agentName = "agent_name" }
        }
        return try await call(.POST, "/api/pairing/pair", body: Body(code: code, agentName: agentName), as: PairingTicket.self)
    }

    public func pairingProgress(entryId: String, claimSecret: String) async throws -> PairingProgress {
        try await call(.GET, "/api/pairing/\(Self.segment(entryId))/status", headers: [("x-claim-secret", claimSecret)], as: PairingProgress.self)
    }
}
