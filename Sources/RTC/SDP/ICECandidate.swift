/// An ICE candidate as `a=candidate:` (RFC 8839 section 5.1) and the trickle-ICE `candidate`
/// JSON field carry it:
///
///     candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0
///
/// The address is text, not an IP address type: browsers that hide local addresses send an mDNS
/// name (`<uuid>.local`) instead, and SDP stays independent of the STUN module that has
/// `IPAddress` (`IPAddress(candidate.address)` converts where needed).
public struct ICECandidate: Sendable, Hashable {
    /// Candidates with the same foundation share a base and server (RFC 8445 section 5.1.1.3).
    public var foundation: String
    /// 1 (RTP or data); WebRTC with rtcp-mux uses only 1.
    public var component: Int
    public var transport: TransportProtocol
    public var priority: UInt32
    /// An IP address or an mDNS host name.
    public var address: String
    /// 9 for TCP active candidates, which never listen.
    public var port: UInt16
    public var type: CandidateType
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// RFC 6544, for TCP candidates.
    public var tcpType: TCPType?
    /// Chromium and aiortc write `generation 0`; a restart bumps it.
    public var generation: UInt32?
    /// Other `name value` pairs in the order received (`ufrag`, `network-id`, `network-cost`, ...).
    public var extensions: [Extension]

    public init(foundation: String, component: Int = 1, transport: TransportProtocol = .udp, priority: UInt32,
                address: String, port: UInt16, type: CandidateType, relatedAddress: String? = nil,
                relatedPort: UInt16? = nil, tcpType: TCPType? = nil, generation: UInt32? = nil,
                extensions: [Extension] = [])
    {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.tcpType = tcpType
        self.generation = generation
        self.extensions = extensions
    }

    public enum TransportProtocol: String, Sendable, Hashable, CaseIterable {
        case udp
        case tcp
    }

    public enum CandidateType: String, Sendable, Hashable, CaseIterable {
        case host
        /// Server reflexive: the address a STUN server saw.
        case serverReflexive = "srflx"
        /// Peer reflexive: learned from a connectivity check.
        case peerReflexive = "prflx"
        /// Relayed through a TURN server.
        case relay
    }

    public enum TCPType: String, Sendable, Hashable, CaseIterable {
        case active
        case passive
        /// Simultaneous open.
        case simultaneousOpen = "so"
    }

    /// A `name value` pair after the fields this type names.
    public struct Extension: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The `ufrag` extension Chromium adds, telling which ICE credentials the candidate belongs to.
    public var usernameFragment: String? {
        extensions.first { $0.name == "ufrag" }?.value
    }
}
