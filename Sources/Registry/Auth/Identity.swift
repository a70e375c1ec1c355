import MeshProtocol

/// Who is calling, as established from an API key, a device token or a JWT.
public struct Identity: Sendable, Hashable {
    /// The principal: the peer id of the key or pairing entry; empty for anonymous callers.
    public var peerId: String
    public var role: Role
    /// Set when the credential came from an approved pairing entry (so revocation applies to it).
    public var viaDevice: Bool
    /// The API key behind the credential, when it is one (so revoking the key ends its JWTs too).
    public var keyId: String?

    public init(peerId: String, role: Role, viaDevice: Bool = false, keyId: String? = nil) {
        self.peerId = peerId
        self.role = role
        self.viaDevice = viaDevice
        self.keyId = keyId
    }

    /// A caller without credentials under `--allow-anonymous`: an agent without identity.
    public static let anonymous = Identity(peerId: "", role: .agent)

    public var isAdmin: Bool { role == .admin }

    /// Whether this caller submitted `task` or is an admin: who may follow a task over A2A and cancel it.
    func submittedOrAdmin(_ task: MeshTask) -> Bool {
        isAdmin || task.submittedBy?.peerId == peerId
    }

    /// Admins and agents may register, heartbeat, claim and report; the read-only hub may not.
    func requireAgentOrAdmin() throws(APIError) {
        guard role != .hub else { throw APIError.forbidden("role 'hub' may not act as an agent") }
    }

    func requireAdmin() throws(APIError) {
        guard role == .admin else { throw APIError.forbidden("admin role required") }
    }
}
