/// The attributes that may sit at session level or in an m-section (RFC 8839, 8842, 8840).
protocol SDPTransportAttributes {
    var iceUfrag: String? { get set }
    var icePwd: String? { get set }
    var iceOptions: [String] { get set }
    var fingerprints: [CertificateFingerprint] { get set }
    var setup: DTLSSetupRole? { get set }
    var endOfCandidates: Bool { get set }
}

extension SessionDescription: SDPTransportAttributes {}
extension MediaDescription: SDPTransportAttributes {}
