/// `POST /api/token`'s answer: a short-lived JWT and who the registry says the credential is.
/// `expires_in` is ours; upstream registries leave it out (their tokens last 300 s too).
public struct TokenGrant: Sendable, Hashable, Codable {
    public var token: String
    public var peerId: String
    public var role: Role
    public var expiresIn: Int?

    public init(token: String, peerId: String, role: Role, expiresIn: Int?) {
        self.token = token
        self.peerId = peerId
        self.role = role
        self.expiresIn = expiresIn
    }

    /// The lifetime to plan with: the registry's, else upstream's fixed 300 s.
    public var lifetimeSeconds: Int { expiresIn ?? 300 }

    enum CodingKeys: String, CodingKey { case token, peerId = "peer_id", role, expiresIn = "expires_in" }
}
