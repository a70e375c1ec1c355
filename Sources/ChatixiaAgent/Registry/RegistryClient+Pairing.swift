import MeshProtocol

extension RegistryClient {
    /// Redeems a 6-digit invite code (needs no credential).
    public func pair(code: String, agentName: String) async throws -> PairingTicket {
        try await call(.POST, "/api/pairing/pair", body: PairingRequest(code: code, agentName: agentName), as: PairingTicket.self)
    }

    public func pairingProgress(entryId: String, claimSecret: String) async throws -> PairingProgress {
        try await call(.GET, "/api/pairing/\(Self.segment(entryId))/status", headers: [("x-claim-secret", claimSecret)], as: PairingProgress.self)
    }
}
