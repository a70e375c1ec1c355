import Hummingbird
import MeshProtocol

extension RegistryServices {
    /// Redemption and the claimant's status poll: no credentials, rate-limited, secret-bound.
    func addPublicPairingRoutes(to router: Router<RegistryContext>) {
        router.post("api/pairing/pair") { request, context in
            try pairingLimiter.hit(context.clientIP)
            let body = try await request.decodeJSON(PairingRequest.self, context: context)
            let (entry, secret) = try await state.pair(code: body.code, agentName: body.agentName ?? "")
            return try jsonResponse(PairingTicket(id: entry.id, status: entry.status, peerId: entry.peerId, claimSecret: secret))
        }
        router.get("api/pairing/:id/status") { request, context in
            try claimStatusLimiter.hit(context.clientIP)
            guard let secret = request.headers[.claimSecret] else { throw APIError.unauthorized("missing x-claim-secret header") }
            let (status, token, peerId) = try await state.claimStatus(try context.pathParameter("id"), claimSecret: secret)
            return try jsonResponse(PairingProgress(status: status, peerId: peerId, deviceToken: token))
        }
    }

    /// Invite codes, listings and decisions: admin only.
    func addAdminPairingRoutes(to api: RouterGroup<RegistryContext>) {
        api.post("pairing/generate-code") { _, context in
            try context.requireIdentity().requireAdmin()
            let code = try await state.generateCode()
            return try jsonResponse(InviteCode(code: code, expiresIn: Int(RegistryState.codeLifetime)))
        }
        api.get("pairing/pending") { _, context in
            try context.requireIdentity().requireAdmin()
            return try jsonResponse(await state.pairingEntries(status: .pendingApproval))
        }
        api.get("pairing/all") { _, context in
            try context.requireIdentity().requireAdmin()
            return try jsonResponse(await state.pairingEntries())
        }
        api.post("pairing/:id/approve") { _, context in
            try context.requireIdentity().requireAdmin()
            let (entry, token) = try await state.approve(try context.pathParameter("id"))
            return try jsonResponse(PairingApproval(id: entry.id, status: entry.status, peerId: entry.peerId, deviceToken: token))
        }
        api.post("pairing/:id/reject") { _, context in
            try context.requireIdentity().requireAdmin()
            try await state.reject(try context.pathParameter("id"))
            return try jsonResponse(StatusReply.ok)
        }
        api.post("pairing/:id/revoke") { _, context in
            try context.requireIdentity().requireAdmin()
            let peerId = try await state.revoke(try context.pathParameter("id"))
            await signaling.disconnect(peerId: peerId, reason: "pairing revoked")
            return try jsonResponse(StatusReply.ok)
        }
    }
}
