/// What one side of a data-channel-only connection tells the other through SDP, with every
/// value resolved: ICE credentials and candidates, DTLS fingerprints and role, SCTP port and
/// message size limit. ``SessionDescription/dataChannelDescription()`` reads it from a remote
/// description; ``SessionDescription/init(dataChannel:sessionID:sessionVersion:extmapAllowMixed:)``
/// writes a local one.
public struct DataChannelDescription: Sendable, Hashable {
    /// RFC 8841: a peer that sends no `a=max-message-size` can receive 64 KiB.
    public static let defaultMaxMessageSize: UInt64 = 65_536
    /// RFC 8841: the SCTP port when `a=sctp-port` is absent.
    public static let defaultSCTPPort: UInt16 = 5000

    public var mid: String?
    public var iceUfrag: String
    public var icePwd: String
    /// `trickle` from Chromium and from us; aiortc sends none.
    public var iceOptions: [String]
    public var iceLite: Bool
    /// Every fingerprint, in order: aiortc sends sha-256, sha-384 and sha-512.
    public var fingerprints: [CertificateFingerprint]
    /// When the remote sends no `a=setup`, RFC 4145's default: `active`.
    public var setup: DTLSSetupRole
    public var sctpPort: UInt16
    /// The largest message the describing side can receive; 0 means no limit.
    public var maxMessageSize: UInt64
    public var candidates: [ICECandidate]
    public var endOfCandidates: Bool

    /// Defaults fit a local offer: `a=ice-options:trickle`, `a=setup:actpass`, SCTP port 5000,
    /// and 1 MiB as the largest message we accept (issue 3 asks for at least that).
    public init(mid: String? = "0", iceUfrag: String, icePwd: String, iceOptions: [String] = ["trickle"],
                iceLite: Bool = false, fingerprints: [CertificateFingerprint], setup: DTLSSetupRole = .actpass,
                sctpPort: UInt16 = defaultSCTPPort, maxMessageSize: UInt64 = 1_048_576, candidates: [ICECandidate] = [],
                endOfCandidates: Bool = false)
    {
        self.mid = mid
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.iceLite = iceLite
        self.fingerprints = fingerprints
        self.setup = setup
        self.sctpPort = sctpPort
        self.maxMessageSize = maxMessageSize
        self.candidates = candidates
        self.endOfCandidates = endOfCandidates
    }
}
