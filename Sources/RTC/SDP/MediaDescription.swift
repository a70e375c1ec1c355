/// One m-section: the `m=` line and everything up to the next one. Attributes that a data
/// channel needs are typed; everything else is kept in ``otherAttributes`` (in order) and
/// ``otherLines``.
public struct MediaDescription: Sendable, Hashable {
    /// `application` for data channels.
    public var kind: String
    /// 9 (the discard port) in WebRTC offers; aiortc writes its default candidate's port. Port 0
    /// in an answer rejects the section.
    public var port: UInt16
    /// The rarely used `/<count>` after the port.
    public var portCount: Int?
    /// `UDP/DTLS/SCTP` (or `TCP/DTLS/SCTP`, or legacy `DTLS/SCTP`).
    public var proto: String
    /// `webrtc-datachannel` (legacy: the SCTP port).
    public var formats: [String]
    public var connection: SDPConnection?
    public var mid: String?
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var fingerprints: [CertificateFingerprint]
    public var setup: DTLSSetupRole?
    public var sctpPort: UInt16?
    /// RFC 8841: the largest message the sender of this description can receive; 0 means no limit.
    public var maxMessageSize: UInt64?
    public var candidates: [ICECandidate]
    public var endOfCandidates: Bool
    public var otherAttributes: [SDPAttribute]
    /// Lines of types this stack does not interpret, grouped where RFC 8866 puts their types (as
    /// ``SessionDescription/serialized()`` writes them), in received order within a group.
    public var otherLines: [SDPLine]

    public static let dataChannelFormat = "webrtc-datachannel"
    public static let dataChannelProto = "UDP/DTLS/SCTP"

    public init(kind: String, port: UInt16, portCount: Int? = nil, proto: String, formats: [String],
                connection: SDPConnection? = nil, mid: String? = nil, iceUfrag: String? = nil, icePwd: String? = nil,
                iceOptions: [String] = [], fingerprints: [CertificateFingerprint] = [], setup: DTLSSetupRole? = nil,
                sctpPort: UInt16? = nil, maxMessageSize: UInt64? = nil, candidates: [ICECandidate] = [],
                endOfCandidates: Bool = false, otherAttributes: [SDPAttribute] = [], otherLines: [SDPLine] = [])
    {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.mid = mid
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.fingerprints = fingerprints
        self.setup = setup
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
        self.otherAttributes = otherAttributes
        self.otherLines = otherLines
    }

    /// Whether this is an SCTP-over-DTLS data channel section, current or legacy form.
    public var isDataChannel: Bool {
        guard kind == "application" else { return false }
        if formats.contains(Self.dataChannelFormat) { return proto.hasSuffix("DTLS/SCTP") }
        // draft-ietf-mmusic-sctp-sdp-05 and older: `m=application 9 DTLS/SCTP 5000`.
        return proto == "DTLS/SCTP" && otherAttributes.contains { $0.name == "sctpmap" }
    }

    /// Attributes other than the typed ones, with this name.
    public func otherAttributes(named name: String) -> [SDPAttribute] {
        otherAttributes.filter { $0.name == name }
    }
}
