import STUN

/// Long-term credentials (RFC 8489 §9.2) as a TURN client holds them: the server's REALM and NONCE
/// arrive in a 401 or 438 challenge, and from then on every request carries USERNAME, REALM, NONCE
/// and MESSAGE-INTEGRITY keyed with MD5(username:realm:password).
struct TURNLongTermCredentials {
    let username: String
    let password: String
    private(set) var realm: String?
    private(set) var nonce: String?
    private(set) var key: STUNKey?

    init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    var isChallenged: Bool { key != nil }

    /// Takes REALM and NONCE from a challenge; false when it lacks either (nothing to answer with).
    mutating func accept(challenge: STUNMessage) -> Bool {
        guard let nonce = challenge.nonce, let realm = challenge.realm ?? realm else { return false }
        if realm != self.realm || key == nil {
            key = .longTerm(username: username, realm: realm, password: password)
        }
        self.realm = realm
        self.nonce = nonce
        return true
    }

    /// The request on the wire: signed once challenged, plain before (the first Allocate).
    func encode(_ request: STUNMessage) -> [UInt8]? {
        guard let key, let realm, let nonce else { return try? request.encoded(fingerprint: true) }
        var signed = request
        signed.attributes += [.username(username), .realm(realm), .nonce(nonce)]
        return try? signed.encoded(integrityKey: key, fingerprint: true)
    }

    /// Whether a success response is signed with our key, so it really came from the server.
    func verify(_ response: [UInt8]) -> Bool {
        guard let key else { return false }
        return STUNMessage.verifyIntegrity(of: response, key: key) == .valid
    }
}
