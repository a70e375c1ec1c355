import Hummingbird
import HummingbirdWebSocket

extension RegistryServices {
    /// The JWT in `?token=`, verified (WebSocket clients cannot always send headers).
    func webSocketIdentity(_ request: Request, clientIP: String) async throws -> Identity {
        try await authenticator.guarded(clientIP) { () async throws(APIError) in
            guard let token = request.uri.queryParameters.get("token") else { throw APIError.unauthorized("missing ?token=<jwt>") }
            return try await authenticator.identity(jwt: String(token))
        }
    }

    /// `GET /ws?token=<jwt>`: signaling for sidecars (agents and admins; not the read-only hub role).
    func addSignalingRoute(to router: Router<RegistryContext>) {
        router.ws("ws") { request, context in
            try await context.refusingUpgrade {
                let identity = try await webSocketIdentity(request, clientIP: context.clientIP)
                guard identity.role != .hub else { throw APIError.forbidden("role 'hub' may not join signaling") }
                return .upgrade([:])
            }
        } onUpgrade: { inbound, outbound, context in
            let identity = try await webSocketIdentity(context.request, clientIP: context.requestContext.clientIP)
            let queue = OutboundQueue()
            let connectionId = await signaling.attach(identity, queue: queue)
            do {
                try await runWebSocketSession(inbound: inbound, outbound: outbound, queue: queue, maxMessageBytes: 1 << 20) { text in
                    await signaling.handle(text, from: identity.peerId, connectionId: connectionId)
                }
            } catch {
                context.logger.debug("signaling connection ended", metadata: ["peer_id": "\(identity.peerId)", "error": "\(error)"])
            }
            await signaling.detach(peerId: identity.peerId, connectionId: connectionId)
        }
    }
}
