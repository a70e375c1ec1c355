import Foundation
import Hummingbird
import MeshProtocol

extension RegistryServices {
    /// `POST /api/token`: exchanges an API key or device token for a 5-minute JWT.
    func addTokenRoutes(to router: Router<RegistryContext>) {
        router.post("api/token") { request, context in
            try tokenLimiter.hit(context.clientIP)
            let identity = try await authenticator.guarded(context.clientIP) { () async throws(APIError) in
                guard let identity = try await authenticator.identity(apiKey: request.headers[.apiKey], deviceToken: request.headers[.deviceToken]) else {
                    throw APIError.unauthorized("send x-api-key or x-device-token")
                }
                return identity
            }
            let token = try await tokens.issue(for: identity)
            return try jsonResponse(TokenGrant(token: token, peerId: identity.peerId, role: identity.role, expiresIn: Int(TokenService.lifetime)))
        }
    }
}
