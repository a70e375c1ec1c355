import Testing
import SDP

@Suite struct CertificateFingerprintTests {
    @Test func parsesAndFormats() throws {
        let fingerprint = try #require(CertificateFingerprint(sdpValue: "SHA-256 " + SDPFixtures.chromiumFingerprint.lowercased()))
        #expect(fingerprint.algorithm == "sha-256")
        #expect(fingerprint.digest.first == 0x7B && fingerprint.digest.count == 32)
        #expect(fingerprint.sdpValue == "sha-256 " + SDPFixtures.chromiumFingerprint)
        #expect(CertificateFingerprint(sdpValue: fingerprint.sdpValue) == fingerprint)
        // A hash this stack does not know keeps whatever length it has.
        #expect(CertificateFingerprint(sdpValue: "x-future AB:CD")?.digest == [0xAB, 0xCD])
    }

    @Test(arguments: [
        "", "sha-256", "AB:CD", "sha-256 AB:CD", "sha-256 AB:CD:", "sha-256 :AB", "sha-256 ABC:D", "sha-256 GG",
        "sha-256 AB CD", "md5 00:11", "x-future ",
    ])
    func rejectsMalformedValues(value: String) {
        #expect(CertificateFingerprint(sdpValue: value) == nil)
    }

    @Test func hashesCertificates() throws {
        // SHA-256 of "abc", the FIPS 180-2 example, as if it were a certificate.
        let der = Array("abc".utf8)
        let fingerprint = try #require(CertificateFingerprint(algorithm: "sha-256", certificateDER: der))
        #expect(fingerprint.hexDigest == "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD")
        #expect(CertificateFingerprint(algorithm: "sha-1", certificateDER: der)?.digest.count == 20)
        #expect(CertificateFingerprint(algorithm: "sha-384", certificateDER: der)?.digest.count == 48)
        #expect(CertificateFingerprint(algorithm: "SHA-512", certificateDER: der)?.algorithm == "sha-512")
        #expect(CertificateFingerprint(algorithm: "md5", certificateDER: der) == nil)
    }
}
