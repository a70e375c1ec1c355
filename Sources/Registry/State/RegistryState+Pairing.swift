import Crypto
import Foundation
import MeshProtocol

extension RegistryState {
    static let codeLifetime: Double = 300

    static func sha256Hex(_ text: String) -> String { KeyIndex.sha256Hex(text) }

    func index(_ pairing: StoredPairing) {
        pairings[pairing.entry.id] = pairing
        pairingByPeerId[pairing.entry.peerId] = pairing.entry.id
        if let hash = pairing.deviceTokenHash { pairingByTokenHash[hash] = pairing.entry.id }
    }

    func save(_ pairing: StoredPairing) async throws {
        index(pairing)
        try await persist([.put(.pairing, id: pairing.entry.id, body: JSONEncoder.body(pairing))])
        events.publish(.pairing(pairing.entry))
    }

    /// A new single-use 6-digit invite code, valid for 5 minutes.
    public func generateCode() async throws -> String {
        let now = clock()
        var code: String
        repeat {
            code = String(format: "%06d", Int.random(in: 0...999_999))
        } while codes[code].map { $0.expiresAt > now } ?? false
        let stored = StoredCode(code: code, expiresAt: now + Self.codeLifetime)
        codes[code] = stored
        try await persist([.put(.code, id: code, body: JSONEncoder.body(stored))])
        return code
    }

    /// Redeems an invite code into a pending entry; returns it with the claim secret for the status endpoint.
    public func pair(code: String, agentName: String) async throws -> (PairingEntry, claimSecret: String) {
        guard code.count == 6, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw APIError.badRequest("code must be exactly 6 digits")
        }
        let name = agentName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw APIError.badRequest("agent_name is required") }
        guard name.count <= 128 else { throw APIError.badRequest("agent_name is longer than 128 characters") }
        let now = clock()
        guard let stored = codes[code], stored.expiresAt > now else {
            throw APIError.unauthorized("invalid or expired pairing code")
        }
        codes[code] = nil
        var id: String
        repeat { id = randomHex(bytes: 4) } while pairings[id] != nil
        var peerId: String
        repeat { peerId = "agent-" + randomHex(bytes: 3) } while pairingByPeerId[peerId] != nil
        let claimSecret = randomHex(bytes: 16)
        let entry = PairingEntry(id: id, agentName: name, peerId: peerId, status: .pendingApproval, createdAt: now, updatedAt: now)
        let pairing = StoredPairing(entry: entry, claimSecretHash: Self.sha256Hex(claimSecret))
        index(pairing)
        try await persist([
            .delete(.code, id: code),
            .put(.pairing, id: id, body: JSONEncoder.body(pairing)),
        ])
        events.publish(.pairing(entry))
        logger.info("pairing requested", metadata: ["entry_id": "\(id)", "peer_id": "\(peerId)"])
        return (entry, claimSecret)
    }

    public func pairingEntries(status: PairingStatus? = nil) -> [PairingEntry] {
        pairings.values.map(\.entry).filter { status == nil || $0.status == status }.sorted { $0.createdAt < $1.createdAt }
    }

    private func transition(_ id: String, from: PairingStatus, to: PairingStatus, notFound: String) throws(APIError) -> StoredPairing {
        guard var pairing = pairings[id], pairing.entry.status == from else { throw APIError.notFound(notFound) }
        pairing.entry.status = to
        pairing.entry.updatedAt = clock()
        return pairing
    }

    /// Approves a pending entry and mints its device token (returned here once, and once to the claimant).
    public func approve(_ id: String) async throws -> (PairingEntry, deviceToken: String) {
        var pairing = try transition(id, from: .pendingApproval, to: .approved, notFound: "not found or not pending")
        let token = "dt_" + randomHex(bytes: 16)
        pairing.deviceTokenHash = Self.sha256Hex(token)
        pairing.undeliveredDeviceToken = token
        try await save(pairing)
        logger.info("pairing approved", metadata: ["entry_id": "\(id)", "peer_id": "\(pairing.entry.peerId)"])
        return (pairing.entry, token)
    }

    public func reject(_ id: String) async throws {
        try await save(transition(id, from: .pendingApproval, to: .rejected, notFound: "not found or not pending"))
    }

    /// Revokes an approved entry: its device token and every JWT from it stop working at once.
    /// Returns the entry's peer id so the caller can close its signaling connection.
    public func revoke(_ id: String) async throws -> String {
        var pairing = try transition(id, from: .approved, to: .revoked, notFound: "not found or not approved")
        if let hash = pairing.deviceTokenHash { pairingByTokenHash[hash] = nil }
        pairing.undeliveredDeviceToken = nil
        try await save(pairing)
        logger.info("pairing revoked", metadata: ["entry_id": "\(id)", "peer_id": "\(pairing.entry.peerId)"])
        return pairing.entry.peerId
    }

    /// The claimant's view of its entry; the device token is handed out exactly once after approval.
    public func claimStatus(_ id: String, claimSecret: String) async throws -> (PairingStatus, deviceToken: String?, peerId: String) {
        guard var pairing = pairings[id] else { throw APIError.notFound("pairing entry not found") }
        guard Self.sha256Hex(claimSecret) == pairing.claimSecretHash else { throw APIError.unauthorized("invalid claim secret") }
        guard let token = pairing.undeliveredDeviceToken, pairing.entry.status == .approved else {
            return (pairing.entry.status, nil, pairing.entry.peerId)
        }
        pairing.undeliveredDeviceToken = nil
        index(pairing)
        try await persist([.put(.pairing, id: id, body: JSONEncoder.body(pairing))])
        return (.approved, token, pairing.entry.peerId)
    }

    /// The identity of an approved device token.
    public func identity(deviceToken: String) -> Identity? {
        guard let id = pairingByTokenHash[Self.sha256Hex(deviceToken)], let pairing = pairings[id], pairing.entry.status == .approved else {
            return nil
        }
        return Identity(peerId: pairing.entry.peerId, role: .agent, viaDevice: true)
    }

    /// Whether a device token belongs to a revoked pairing (its use is a sign of a stolen token).
    public func isRevoked(deviceToken: String) -> Bool {
        let hash = Self.sha256Hex(deviceToken)
        return pairings.values.contains { $0.deviceTokenHash == hash && $0.entry.status == .revoked }
    }

    /// Whether a device-issued identity is still backed by an approved pairing entry.
    public func isDeviceApproved(peerId: String) -> Bool {
        pairingByPeerId[peerId].flatMap { pairings[$0] }?.entry.status == .approved
    }
}
