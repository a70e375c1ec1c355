import RTCTestSupport
import Testing
@testable import STUN

/// The test vectors of RFC 5769, typed in from the RFC. Each carries MESSAGE-INTEGRITY and all but
/// the long-term one FINGERPRINT. In the first three, the padding after SOFTWARE and USERNAME is
/// 0x20 on purpose: a verifier must hash the bytes it received, not a re-encoding.
@Suite struct STUNVectorTests {
    static let shortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = STUNTransactionID(bytes: hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"))!

    /// RFC 5769 section 2.1.
    static let sampleRequest = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    /// RFC 5769 section 2.2.
    static let sampleIPv4Response = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    /// RFC 5769 section 2.3.
    static let sampleIPv6Response = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    /// RFC 5769 section 2.4: long-term credentials, no FINGERPRINT.
    static let sampleLongTermRequest = hexBytes("""
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
        """)

    @Test func sampleRequestParsesAndVerifies() throws {
        let message = try STUNMessage(parsing: Self.sampleRequest)
        #expect(message.method == .binding)
        #expect(message.messageClass == .request)
        #expect(message.transactionID == Self.transactionID)
        #expect(message.software == "STUN test client")
        #expect(message.priority == 0x6E00_01FF)
        #expect(message.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(message.iceControlling == nil)
        #expect(message.username == "evtj:h6vY")
        #expect(message.fingerprint == 0xE57A_3BCF)
        #expect(message.attributes.map(\.type) == [.software, .priority, .iceControlled, .username,
                                                  .messageIntegrity, .fingerprint])
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleRequest, key: .shortTerm(password: Self.shortTermPassword)) == .valid)
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleRequest, key: .shortTerm(password: "wrong")) == .mismatch)
        #expect(STUNMessage.verifyFingerprint(of: Self.sampleRequest) == .valid)
    }

    @Test func sampleIPv4ResponseParsesAndVerifies() throws {
        let message = try STUNMessage(parsing: Self.sampleIPv4Response)
        #expect(message.method == .binding)
        #expect(message.messageClass == .successResponse)
        #expect(message.software == "test vector")
        #expect(message.xorMappedAddress == TransportAddress("192.0.2.1:32853"))
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleIPv4Response, key: .shortTerm(password: Self.shortTermPassword)) == .valid)
        #expect(STUNMessage.verifyFingerprint(of: Self.sampleIPv4Response) == .valid)
    }

    @Test func sampleIPv6ResponseParsesAndVerifies() throws {
        let message = try STUNMessage(parsing: Self.sampleIPv6Response)
        #expect(message.messageClass == .successResponse)
        #expect(message.xorMappedAddress == TransportAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleIPv6Response, key: .shortTerm(password: Self.shortTermPassword)) == .valid)
        #expect(STUNMessage.verifyFingerprint(of: Self.sampleIPv6Response) == .valid)
    }

    @Test func sampleLongTermRequestParsesVerifiesAndReencodesExactly() throws {
        let message = try STUNMessage(parsing: Self.sampleLongTermRequest)
        let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}"  // マトリックス
        #expect(message.username == username)
        #expect(message.nonce == "f//499k954d6OL34oL9FSTvy64sA")
        #expect(message.realm == "example.org")
        #expect(message.fingerprint == nil)
        // The RFC's password "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep.
        let key = STUNKey.longTerm(username: username, realm: "example.org", password: "TheMatrIX")
        #expect(key.bytes.count == 16)
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleLongTermRequest, key: key) == .valid)
        #expect(STUNMessage.verifyIntegrity(of: Self.sampleLongTermRequest,
                                            key: .longTerm(username: username, realm: "example.org", password: "thematrix")) == .mismatch)
        #expect(STUNMessage.verifyFingerprint(of: Self.sampleLongTermRequest) == .absent)

        // Its padding is zeros, so our encoder signs it back to the very same bytes.
        let unsigned = STUNMessage(method: .binding, class: .request, transactionID: message.transactionID,
                                   attributes: [.username(username), .nonce("f//499k954d6OL34oL9FSTvy64sA"), .realm("example.org")])
        #expect(try unsigned.encoded(integrityKey: key) == Self.sampleLongTermRequest)
        #expect(try message.encoded() == Self.sampleLongTermRequest)
    }

    @Test func xorAddressesEncodeToTheVectorBytes() throws {
        let ipv4 = STUNMessage(method: .binding, class: .successResponse, transactionID: Self.transactionID,
                               attributes: [.xorMappedAddress(TransportAddress("192.0.2.1:32853")!)])
        #expect(try ipv4.encoded().suffix(8) == hexBytes("00 01 a1 47 e1 12 a6 43")[...])
        let ipv6 = STUNMessage(method: .binding, class: .successResponse, transactionID: Self.transactionID,
                               attributes: [.xorMappedAddress(TransportAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853")!)])
        #expect(try ipv6.encoded().suffix(20) == hexBytes("00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9")[...])
    }

    @Test func verbatimReencodeDiffersOnlyInPadding() throws {
        // Re-encoding the short-term request zeroes the 0x20 padding after USERNAME and nothing else.
        let reencoded = try STUNMessage(parsing: Self.sampleRequest).encoded()
        #expect(reencoded.count == Self.sampleRequest.count)
        let differences = zip(reencoded, Self.sampleRequest).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differences == [73, 74, 75])
        // So its integrity no longer holds: the signer hashed the 0x20 bytes.
        #expect(STUNMessage.verifyIntegrity(of: reencoded, key: .shortTerm(password: Self.shortTermPassword)) == .mismatch)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }
}
