/// The messages of device pairing: a device redeems an invite code (`PairingRequest` → `PairingTicket`),
/// an admin approves (`PairingApproval`), the device polls with its claim secret (`PairingProgress`).

/// `POST /api/pairing/pair` body.
public struct PairingRequest: Sendable, Hashable, Codable {
    public var code: String
    public var agentName: String?

    public init(code: String, agentName: String?) {
        self.code = code
        self.agentName = agentName
    }

    enum CodingKeys: String, CodingKey { case code, agentName = "agent_name" }
}

/// `POST /api/pairing/pair`'s answer: the entry to wait on and the secret that collects its device token.
public struct PairingTicket: Sendable, Hashable, Codable {
    public var id: String
    public var status: PairingStatus
    public var peerId: String
    public var claimSecret: String

    public init(id: String, status: PairingStatus, peerId: String, claimSecret: String) {
        self.id = id
        self.status = status
        self.peerId = peerId
        self.claimSecret = claimSecret
    }

    enum CodingKeys: String, CodingKey { case id, status, peerId = "peer_id", claimSecret = "claim_secret" }
}

/// `POST /api/pairing/{id}/approve`'s answer, for the admin who approved.
public struct PairingApproval: Sendable, Hashable, Codable {
    public var id: String
    public var status: PairingStatus
    public var peerId: String
    public var deviceToken: String

    public init(id: String, status: PairingStatus, peerId: String, deviceToken: String) {
        self.id = id
        self.status = status
        self.peerId = peerId
        self.deviceToken = deviceToken
    }

    enum CodingKeys: String, CodingKey { case id, status, peerId = "peer_id", deviceToken = "device_token" }
}

/// `GET /api/pairing/{id}/status`: the entry's status, with the device token exactly once after approval.
/// Our registry always sends `peer_id`; it is optional so an answer without one still reads.
public struct PairingProgress: Sendable, Hashable, Codable {
    public var status: PairingStatus
    public var peerId: String?
    public var deviceToken: String?

    public init(status: PairingStatus, peerId: String?, deviceToken: String?) {
        self.status = status
        self.peerId = peerId
        self.deviceToken = deviceToken
    }

    enum CodingKeys: String, CodingKey { case status, peerId = "peer_id", deviceToken = "device_token" }
}

/// `POST /api/pairing/generate-code`'s answer: a 6-digit invite code and its lifetime in seconds.
public struct InviteCode: Sendable, Hashable, Codable {
    public var code: String
    public var expiresIn: Int

    public init(code: String, expiresIn: Int) {
        self.code = code
        self.expiresIn = expiresIn
    }

    enum CodingKeys: String, CodingKey { case code, expiresIn = "expires_in" }
}
