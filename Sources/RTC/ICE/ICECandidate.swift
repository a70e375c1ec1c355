import STUN

/// Candidate types with their RFC 8445 type preferences.
public enum ICECandidateKind: String, Sendable, Hashable {
    case host
    case serverReflexive = "srflx"
    case peerReflexive = "prflx"
    case relay

    var typePreference: UInt32 {
        switch self {
        case .host: 126
        case .peerReflexive: 110
        case .serverReflexive: 100
        case .relay: 0
        }
    }
}

/// A candidate in the agent: where it is and how much we prefer it. Local candidates also name the
/// socket the shell sends them from.
public struct ICECandidateAddress: Sendable, Hashable {
    public var kind: ICECandidateKind
    public var address: TransportAddress
    public var priority: UInt32
    public var foundation: String
    /// For server-reflexive candidates their base, for relay candidates the server-reflexive address
    /// (SDP's `raddr`/`rport`); informational only.
    public var relatedAddress: TransportAddress?

    public init(kind: ICECandidateKind, address: TransportAddress, priority: UInt32, foundation: String, relatedAddress: TransportAddress? = nil) {
        self.kind = kind
        self.address = address
        self.priority = priority
        self.foundation = foundation
        self.relatedAddress = relatedAddress
    }

    /// RFC 8445 §5.1.2.1 with component 1; `localPreference` orders several addresses of one type.
    public static func priority(kind: ICECandidateKind, localPreference: UInt32 = 65535) -> UInt32 {
        (kind.typePreference << 24) | (min(localPreference, 65535) << 8) | (256 - 1)
    }
}

/// Our candidate plus the socket it lives on (the shell's handle for that UDP socket).
public struct ICELocalCandidate: Sendable, Hashable {
    public var candidate: ICECandidateAddress
    public var socket: Int

    public init(candidate: ICECandidateAddress, socket: Int) {
        self.candidate = candidate
        self.socket = socket
    }
}
