/// What a datagram arriving on an ICE socket carries, from its first byte alone (RFC 7983 section 7),
/// so the receive path can hand it to STUN, DTLS or TURN without parsing it first.
public enum DatagramKind: Sendable, Hashable {
    /// First byte 0...3.
    case stun
    /// First byte 16...19.
    case zrtp
    /// First byte 20...63.
    case dtls
    /// First byte 64...79.
    case turnChannelData
    /// First byte 128...191.
    case rtp
    /// Empty, or a first byte no protocol here uses.
    case unknown

    public init(classifying datagram: some Collection<UInt8>) {
        guard let first = datagram.first else {
            self = .unknown
            return
        }
        switch first {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannelData
        case 128...191: self = .rtp
        default: self = .unknown
        }
    }
}
