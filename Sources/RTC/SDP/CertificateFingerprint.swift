import Crypto

/// A DTLS certificate fingerprint as `a=fingerprint:` carries it (RFC 8122): a hash function name
/// and the digest of the certificate's DER encoding, written as colon-separated uppercase hex.
public struct CertificateFingerprint: Sendable, Hashable {
    /// The hash function's name from the IANA textual names registry, lowercased: `sha-256`.
    public var algorithm: String
    public var digest: [UInt8]

    public init(algorithm: String, digest: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.digest = digest
    }

    /// Digest sizes of the hash functions RFC 8122 names; a fingerprint with a known name must
    /// have this many bytes.
    public static let digestSizes: [String: Int] = [
        "md2": 16, "md5": 16, "sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64,
    ]

    /// The fingerprint of a DER-encoded certificate with `algorithm` (`sha-1`, `sha-256`,
    /// `sha-384` or `sha-512`); `nil` for a hash this stack cannot compute.
    public init?(algorithm: String, certificateDER: [UInt8]) {
        let digest: [UInt8]
        switch algorithm.lowercased() {
        case "sha-1": digest = Array(Insecure.SHA1.hash(data: certificateDER))
        case "sha-256": digest = Array(SHA256.hash(data: certificateDER))
        case "sha-384": digest = Array(SHA384.hash(data: certificateDER))
        case "sha-512": digest = Array(SHA512.hash(data: certificateDER))
        default: return nil
        }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// Parses the attribute value `sha-256 AB:CD:...`; hex of either case, whitespace around it
    /// tolerated; `nil` for a missing hash name, bad hex, or a digest of the wrong size.
    public init?(sdpValue: some StringProtocol) {
        let fields = SDPText.fields(Substring(sdpValue))
        guard fields.count == 2 else { return nil }
        let algorithm = fields[0].lowercased()
        var digest: [UInt8] = []
        for pair in SDPText.split(fields[1], at: ":") {
            guard pair.utf8.count == 2, pair.utf8.allSatisfy(Self.isHexDigit), let byte = UInt8(pair, radix: 16) else {
                return nil
            }
            digest.append(byte)
        }
        guard !digest.isEmpty, Self.digestSizes[algorithm].map({ $0 == digest.count }) ?? true else { return nil }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// `sha-256 AB:CD:...`, the attribute value.
    public var sdpValue: String {
        "\(algorithm) \(hexDigest)"
    }

    /// `AB:CD:...`.
    public var hexDigest: String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined(separator: ":")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
