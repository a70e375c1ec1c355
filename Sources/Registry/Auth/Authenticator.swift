import HTTPTypes
import Hummingbird

/// Establishes who is calling from an API key, a device token or a JWT.
public struct Authenticator: Sendable {
    let tokens: TokenService
    let state: RegistryState
    let allowAnonymous: Bool
    let metrics: RegistryMetrics
    /// Failed authentications per client address: past the limit, every attempt from it gets 429 (even with
    /// a good credential) until the window ends, so guessing keys on any endpoint is as slow as on `/api/token`.
    let failures: RateLimiter

    /// Runs one authentication attempt from `clientIP` under the failure limit.
    func guarded<T>(_ clientIP: String, _ attempt: () async throws(APIError) -> T) async throws(APIError) -> T {
        try failures.check(clientIP)
        do throws(APIError) {
            return try await attempt()
        } catch where error.status == .unauthorized {
            failures.record(clientIP)
            metrics.authFailures.increment()
            throw error
        }
    }

    /// The identity behind an API key or device token (the credentials `/api/token` exchanges).
    func identity(apiKey: String?, deviceToken: String?) async throws(APIError) -> Identity? {
        if let apiKey {
            let found = state.keyIndex.entry(apiKey: apiKey)
            guard let key = found, !key.revoked else {
                if found?.revoked == true { metrics.revokedCredentialUses.increment() }
                throw APIError.unauthorized("invalid API key")
            }
            return Identity(peerId: key.peerId, role: key.role, keyId: key.id)
        }
        if let deviceToken {
            guard let identity = await state.identity(deviceToken: deviceToken) else {
                if await state.isRevoked(deviceToken: deviceToken) { metrics.revokedCredentialUses.increment() }
                throw APIError.unauthorized("invalid or revoked device token")
            }
            return identity
        }
        return nil
    }

    /// The identity in a JWT; tokens from a device stop working the moment its pairing is revoked.
    func identity(jwt: String) async throws(APIError) -> Identity {
        guard let identity = await tokens.verify(jwt) else { throw APIError.unauthorized("invalid or expired token") }
        if identity.viaDevice, await !state.isDeviceApproved(peerId: identity.peerId) {
            metrics.revokedCredentialUses.increment()
            throw APIError.unauthorized("device pairing has been revoked")
        }
        if let keyId = identity.keyId, !state.keyIndex.isLive(keyId) {
            metrics.revokedCredentialUses.increment()
            throw APIError.unauthorized("API key has been revoked")
        }
        return identity
    }

    /// Any credential on a request: `x-api-key`, `x-device-token` or `Authorization: Bearer`.
    func authenticate(_ request: Request) async throws(APIError) -> Identity {
        if let identity = try await identity(apiKey: request.headers[.apiKey], deviceToken: request.headers[.deviceToken]) {
            return identity
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("Authorization must be 'Bearer <token>'")
            }
            return try await identity(jwt: String(parts[1]))
        }
        if allowAnonymous { return .anonymous }
        throw APIError.unauthorized("missing credentials: send x-api-key, x-device-token or Authorization: Bearer <jwt>")
    }
}

extension HTTPField.Name {
    static let apiKey = Self("x-api-key")!
    static let deviceToken = Self("x-device-token")!
    static let claimSecret = Self("x-claim-secret")!
}

/// Requires a credential on every route it guards, counts the request against the credential's limit
/// (admins exempt; anonymous callers count per address) and puts the caller's identity in the context.
struct AuthMiddleware: RouterMiddleware {
    let authenticator: Authenticator
    let requests: RateLimiter

    func handle(_ request: Request, context: RegistryContext, next: (Request, RegistryContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = try await identity(of: request, clientIP: context.clientIP)
        return try await next(request, context)
    }

    /// The caller, authenticated under the failure limit and counted against its request limit.
    func identity(of request: Request, clientIP: String) async throws(APIError) -> Identity {
        let identity = try await authenticator.guarded(clientIP) { () async throws(APIError) in
            try await authenticator.authenticate(request)
        }
        if !identity.isAdmin { try requests.hit(identity.peerId.isEmpty ? "address \(clientIP)" : identity.peerId) }
        return identity
    }
}
