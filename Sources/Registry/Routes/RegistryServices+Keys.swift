import MeshProtocol
import Hummingbird

extension RegistryServices {
    struct NewKey: Decodable {
        let peerId: String
        let role: Role
        var label: String?

        enum CodingKeys: String, CodingKey { case peerId = "peer_id", role, label }
    }

    struct CreatedKey: Encodable {
        let info: APIKeyInfo
        let key: String

        func encode(to encoder: any Encoder) throws {
            try info.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
        }

        enum CodingKeys: String, CodingKey { case key }
    }

    /// Admin key management: create (the key is shown once), list (never the key), revoke (the key, its JWTs
    /// and its signaling connection end at once).
    func addKeyRoutes(to api: RouterGroup<RegistryContext>) {
        api.post("keys") { request, context in
            let identity = try context.requireIdentity()
            try identity.requireAdmin()
            let body = try await request.decodeJSON(NewKey.self, context: context)
            let (info, key) = try await state.createAPIKey(peerId: body.peerId, role: body.role, label: body.label ?? "", by: identity)
            return try jsonResponse(CreatedKey(info: info, key: key), status: .created)
        }
        api.get("keys") { _, context in
            try context.requireIdentity().requireAdmin()
            return try jsonResponse(await state.listAPIKeys())
        }
        api.delete("keys/:id") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.pathParameter("id")
            _ = try await state.revokeAPIKey(id, by: identity)
            await signaling.disconnect(keyId: id, reason: "API key revoked")
            events.disconnect(keyId: id, reason: "API key revoked")
            return try jsonResponse(StatusReply.ok)
        }
    }
}
