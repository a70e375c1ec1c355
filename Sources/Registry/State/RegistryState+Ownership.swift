import Foundation
import MeshProtocol

extension RegistryState {
    /// Throws unless `identity` may act for `agentId`: admins always; others only for ids they own or
    /// that nobody owns yet. Ownership outlives deregistration, so a restarting agent keeps its id.
    func authorize(_ identity: Identity, forAgent agentId: String) throws(APIError) {
        try identity.requireAgentOrAdmin()
        if identity.isAdmin { return }
        if let ownership = owners[agentId], ownership.owner != identity.peerId {
            throw APIError.forbidden("agent '\(agentId)' is owned by another credential")
        }
    }

    /// Records the first owner of an agent id (the credential's subject) and when it was first registered.
    func claimOwnership(of agentId: String, by identity: Identity, now: Double, into mutations: inout [StoreMutation]) throws(APIError) -> StoredOwnership {
        if let ownership = owners[agentId] { return ownership }
        if !identity.isAdmin {
            let owned = owners.values.lazy.filter { $0.owner == identity.peerId }.count
            guard owned < limits.agentIdsPerCredential else {
                throw APIError(
                    .tooManyRequests, "this credential already owns \(owned) agent ids, the limit; an admin can release some", retryAfterSeconds: 60)
            }
        }
        let ownership = StoredOwnership(agentId: agentId, owner: identity.peerId, since: now)
        owners[agentId] = ownership
        mutations.append(.put(.owner, id: agentId, body: JSONEncoder.body(ownership)))
        return ownership
    }

    /// Throws unless `identity` may announce `sidecarPeerId` for `agentId`: a credential cannot claim a peer id
    /// that is another credential's subject, nor the sidecar of an agent owned by someone else (either
    /// would send that agent's work to the wrong peer).
    func checkSidecarClaim(_ sidecarPeerId: String, forAgent agentId: String, by identity: Identity) throws(APIError) {
        guard !sidecarPeerId.isEmpty, !identity.isAdmin, sidecarPeerId != identity.peerId else { return }
        let isSubject = isCredentialSubject(sidecarPeerId) || owners.values.contains { $0.owner == sidecarPeerId }
        if isSubject {
            throw APIError.forbidden("sidecar_peer_id '\(sidecarPeerId)' is another credential's subject")
        }
        let taken = agents.values.contains { other in
            other.registration.sidecarPeerId == sidecarPeerId && other.registration.agentId != agentId
                && owners[other.registration.agentId]?.owner != identity.peerId
        }
        if taken {
            throw APIError.forbidden("sidecar_peer_id '\(sidecarPeerId)' belongs to an agent of another credential")
        }
    }

    /// Who owns an agent id, if anybody.
    public func owner(of agentId: String) -> String? {
        owners[agentId]?.owner
    }

    /// Admin: gives an agent id to another credential subject, or (`nil`) releases it so the next
    /// credential that registers it owns it.
    public func setOwner(of agentId: String, to newOwner: String?, by identity: Identity) async throws {
        try identity.requireAdmin()
        try Self.validateAgentId(agentId)
        var mutations: [StoreMutation] = []
        if let newOwner {
            guard !newOwner.isEmpty else { throw APIError.badRequest("owner must not be empty") }
            let ownership = StoredOwnership(agentId: agentId, owner: newOwner, since: owners[agentId]?.since ?? clock())
            owners[agentId] = ownership
            mutations.append(.put(.owner, id: agentId, body: JSONEncoder.body(ownership)))
        } else {
            guard owners.removeValue(forKey: agentId) != nil else { throw APIError.notFound("agent id '\(agentId)' has no owner") }
            mutations.append(.delete(.owner, id: agentId))
        }
        try await persist(mutations)
        logger.notice("agent ownership changed", metadata: ["agent_id": "\(agentId)", "owner": "\(newOwner ?? "(released)")", "by": "\(identity.peerId)"])
    }
}
