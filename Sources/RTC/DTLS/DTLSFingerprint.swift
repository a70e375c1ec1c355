/// A certificate fingerprint as SDP carries it: `a=fingerprint:sha-256 AB:CD:...`.
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: String
    public let bytes: [UInt8]

    public init(algorithm: String = "sha-256", bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// Parses `"sha-256"` and `"AB:CD:..."`; nil when the hex is malformed.
    public init?(algorithm: String, hex: String) {
        var bytes: [UInt8] = []
        for part in hex.split(separator: ":", omittingEmptySubsequences: false) {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        guard !bytes.isEmpty else { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Upper-case colon-separated hex, as browsers write it.
    public var hex: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    public var description: String { "\(algorithm) \(hex)" }
}
