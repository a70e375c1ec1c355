/// A session description (RFC 8866) in the subset WebRTC data channels use (RFC 8841): the
/// session lines and its m-sections, with the attributes a data channel needs typed, and
/// everything else kept so that nothing a peer sends is lost.
///
/// ICE credentials, fingerprints and the DTLS role may be given at session level or per
/// m-section; ``dataChannelDescription()`` resolves them, the m-section winning.
public struct SessionDescription: Sendable, Hashable {
    public var version: Int
    public var origin: SDPOrigin
    public var sessionName: String
    /// The `t=` value; `0 0` (unbounded) in WebRTC.
    public var timing: String
    public var connection: SDPConnection?
    /// `a=group:BUNDLE 0` and the like.
    public var groups: [SDPGroup]
    /// `a=extmap-allow-mixed`, which Chromium writes at session level.
    public var extmapAllowMixed: Bool
    /// The value of `a=msid-semantic:`, trimmed: `WMS` from Chromium, `WMS *` from aiortc.
    public var msidSemantic: String?
    public var iceLite: Bool
    public var iceUfrag: String?
    public var icePwd: String?
    public var iceOptions: [String]
    public var fingerprints: [CertificateFingerprint]
    public var setup: DTLSSetupRole?
    public var endOfCandidates: Bool
    public var otherAttributes: [SDPAttribute]
    /// Lines of types this stack does not interpret, grouped where RFC 8866 puts their types (as
    /// ``SessionDescription/serialized()`` writes them), in received order within a group.
    public var otherLines: [SDPLine]
    public var media: [MediaDescription]

    public init(version: Int = 0, origin: SDPOrigin, sessionName: String = "-", timing: String = "0 0",
                connection: SDPConnection? = nil, groups: [SDPGroup] = [], extmapAllowMixed: Bool = false,
                msidSemantic: String? = nil, iceLite: Bool = false, iceUfrag: String? = nil, icePwd: String? = nil,
                iceOptions: [String] = [], fingerprints: [CertificateFingerprint] = [], setup: DTLSSetupRole? = nil,
                endOfCandidates: Bool = false, otherAttributes: [SDPAttribute] = [], otherLines: [SDPLine] = [],
                media: [MediaDescription] = [])
    {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.timing = timing
        self.connection = connection
        self.groups = groups
        self.extmapAllowMixed = extmapAllowMixed
        self.msidSemantic = msidSemantic
        self.iceLite = iceLite
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.iceOptions = iceOptions
        self.fingerprints = fingerprints
        self.setup = setup
        self.endOfCandidates = endOfCandidates
        self.otherAttributes = otherAttributes
        self.otherLines = otherLines
        self.media = media
    }
}
