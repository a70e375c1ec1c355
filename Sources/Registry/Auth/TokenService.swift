import MeshProtocol
import Foundation
import JWTKit

/// Claims of the registry's JWTs: `{sub, role, iat, exp}` (upstream), plus `dev` for device-token ones and
/// `kid` for API-key ones (so revoking either ends its tokens).
struct MeshClaims: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var dev: Bool?
    /// The API key the token was minted from (absent for device tokens).
    var kid: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and verifies HS256 JWTs with the signaling secret. Tokens live 5 minutes.
public struct TokenService: Sendable {
    public static let lifetime: TimeInterval = 300
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    public func issue(for identity: Identity, now: Date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))) async throws -> String {
        let claims = MeshClaims(
            sub: .init(value: identity.peerId), role: identity.role.rawValue, iat: .init(value: now),
            exp: .init(value: now.addingTimeInterval(Self.lifetime)), dev: identity.viaDevice ? true : nil,
            kid: identity.keyId)
        return try await keys.sign(claims)
    }

    /// The identity in a valid token; nil for an expired, tampered, foreign or unsigned (`alg: none`) one.
    public func verify(_ token: String) async -> Identity? {
        guard let claims = try? await keys.verify(token, as: MeshClaims.self),
            let role = Role(rawValue: claims.role)
        else { return nil }
        return Identity(peerId: claims.sub.value, role: role, viaDevice: claims.dev ?? false, keyId: claims.kid)
    }
}
