import RTCTestSupport
import Testing
@testable import STUN

@Suite struct STUNMessageTests {
    let transactionID = STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090A_0B0C)

    func header(_ bytes: [UInt8]) -> UInt16 { UInt16(bytes[0]) << 8 | UInt16(bytes[1]) }

    @Test(arguments: [
        (STUNMethod.binding, STUNMessageClass.request, UInt16(0x0001)),
        (.binding, .indication, 0x0011),
        (.binding, .successResponse, 0x0101),
        (.binding, .errorResponse, 0x0111),
        (.allocate, .request, 0x0003),
        (.allocate, .errorResponse, 0x0113),
        (.refresh, .successResponse, 0x0104),
        (.send, .indication, 0x0016),
        (.data, .indication, 0x0017),
        (.createPermission, .request, 0x0008),
        (.channelBind, .successResponse, 0x0109),
        (STUNMethod(rawValue: 0xFFF), .errorResponse, 0x3FFF),
    ])
    func messageTypeInterleavesMethodAndClass(method: STUNMethod, messageClass: STUNMessageClass, type: UInt16) throws {
        let bytes = try STUNMessage(method: method, class: messageClass, transactionID: transactionID).encoded()
        #expect(header(bytes) == type)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed.method == method)
        #expect(parsed.messageClass == messageClass)
    }

    @Test func everyAttributeKindRoundTrips() throws {
        let attributes: [STUNAttribute] = [
            .mappedAddress(TransportAddress("203.0.113.9:1")!),
            .mappedAddress(TransportAddress("[fe80::1:2]:65535")!),
            .xorMappedAddress(TransportAddress("198.51.100.7:40000")!),
            .xorMappedAddress(TransportAddress("[2001:db8::ff]:3478")!),
            .xorPeerAddress(TransportAddress("192.0.2.200:5000")!),
            .xorPeerAddress(TransportAddress("[::ffff:192.0.2.1]:9")!),
            .xorRelayedAddress(TransportAddress("192.0.2.15:49152")!),
            .xorRelayedAddress(TransportAddress("[2001:db8:1::15]:49153")!),
            .username("ufrag1:ufrag2"),
            .realm("example.org"),
            .nonce("abc\u{00E9}"),
            .software("chatixia-mesh"),
            .errorCode(.staleNonce),
            .errorCode(STUNErrorCode(code: 699, reason: "")),
            .unknownAttributes([.evenPort, STUNAttributeType(rawValue: 0x7777)]),
            .priority(0x6E7F_00FF),
            .useCandidate,
            .iceControlled(0x0123_4567_89AB_CDEF),
            .iceControlling(UInt64.max),
            .lifetime(600),
            .requestedTransport(STUNAttribute.udpProtocolNumber),
            .data([1, 2, 3, 4, 5]),
            .data([]),
            .channelNumber(0x4001),
            .other(type: .googNetworkInfo, value: [0, 1, 0, 10]),
            .other(type: .dontFragment, value: []),
            .other(type: STUNAttributeType(rawValue: 0xFEED), value: [9, 8, 7]),
        ]
        let message = STUNMessage(method: .allocate, class: .successResponse, transactionID: transactionID, attributes: attributes)
        let bytes = try message.encoded()
        #expect(bytes.count % 4 == 0)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed == message)
        #expect(try parsed.encoded() == bytes)
        #expect(parsed.xorPeerAddresses.count == 2)
        #expect(parsed.errorCode == STUNErrorCode(code: 438, reason: "Stale Nonce"))
        #expect(parsed.unknownComprehensionRequiredTypes == [.dontFragment])
        #expect(parsed.useCandidate)
        #expect(parsed.requestedTransport == 17)
        #expect(parsed.channelNumber == 0x4001)
        #expect(parsed.lifetime == 600)
        #expect(parsed.data == [1, 2, 3, 4, 5])
    }

    @Test func signingAppendsIntegrityAndFingerprintInRFCOrder() throws {
        let key = STUNKey.shortTerm(password: "pass")
        let request = STUNMessage(method: .binding, class: .request, transactionID: transactionID,
                                  attributes: [.username("a:b"), .priority(1), .iceControlling(7), .useCandidate])
        let bytes = try request.encoded(integrityKey: key, integrityAlgorithms: [.sha1, .sha256], fingerprint: true)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed.attributes.suffix(3).map(\.type) == [.messageIntegrity, .messageIntegritySHA256, .fingerprint])
        #expect(parsed.messageIntegritySHA256?.count == 32)
        #expect(STUNMessage.verifyIntegrity(of: bytes, key: key) == .valid)
        #expect(STUNMessage.verifyIntegritySHA256(of: bytes, key: key) == .valid)
        #expect(STUNMessage.verifyFingerprint(of: bytes) == .valid)
        // Verbatim re-encoding keeps every byte, and signing again replaces rather than duplicates.
        #expect(try parsed.encoded() == bytes)
        #expect(try parsed.encoded(integrityKey: key, integrityAlgorithms: [.sha1, .sha256], fingerprint: true) == bytes)
        // Each check notices a flipped bit anywhere it covers.
        for index in [0, 3, 9, 21, 30, 60] {  // header, attributes and MESSAGE-INTEGRITY itself
            var tampered = bytes
            tampered[index] ^= 0x10
            #expect(STUNMessage.verifyIntegrity(of: tampered, key: key) != .valid)
            #expect(STUNMessage.verifyFingerprint(of: tampered) != .valid)
        }
    }

    @Test func integrityAndFingerprintReportAbsence() throws {
        let bytes = try STUNMessage(method: .binding, class: .request, transactionID: transactionID).encoded()
        #expect(STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: "x")) == .absent)
        #expect(STUNMessage.verifyIntegritySHA256(of: bytes, key: .shortTerm(password: "x")) == .absent)
        #expect(STUNMessage.verifyFingerprint(of: bytes) == .absent)
        let onlyFingerprint = try STUNMessage(method: .binding, class: .request, transactionID: transactionID).encoded(fingerprint: true)
        #expect(STUNMessage.verifyFingerprint(of: onlyFingerprint) == .valid)
        #expect(STUNMessage.verifyFingerprint(of: Array(onlyFingerprint.prefix(10))) == .malformed(.truncatedHeader(byteCount: 10)))
    }

    @Test func truncatedSHA256IntegrityVerifies() throws {
        // A sender may truncate MESSAGE-INTEGRITY-SHA256 to 16 bytes; the MAC then covers a header
        // whose length counts the truncated attribute.
        let key = STUNKey(bytes: Array("secret".utf8))
        var bytes = try STUNMessage(method: .binding, class: .request, transactionID: transactionID,
                                    attributes: [.username("u")]).encoded()
        let length = bytes.count - 20 + 4 + 16
        bytes[2] = UInt8(length >> 8); bytes[3] = UInt8(length & 0xFF)
        let mac = Array(STUNMessage.authenticationCode(for: bytes, key: key, algorithm: .sha256).prefix(16))
        bytes += [0x00, 0x1C, 0x00, 0x10] + mac
        #expect(try STUNMessage(parsing: bytes).messageIntegritySHA256 == mac)
        #expect(STUNMessage.verifyIntegritySHA256(of: bytes, key: key) == .valid)
        #expect(STUNMessage.verifyIntegritySHA256(of: bytes, key: STUNKey(bytes: [1])) == .mismatch)
    }

    @Test func attributesAfterIntegrityAreIgnored() throws {
        let key = STUNKey.shortTerm(password: "k")
        let signed = try STUNMessage(method: .allocate, class: .request, transactionID: transactionID,
                                     attributes: [.lifetime(0)]).encoded(integrityKey: key)
        // An on-path attacker appends an unauthenticated attribute and fixes up the length.
        var tampered = signed + [0x00, 0x13, 0x00, 0x04, 1, 2, 3, 4]
        tampered[3] = UInt8(tampered.count - 20)
        let parsed = try STUNMessage(parsing: tampered)
        #expect(parsed.data == nil)
        #expect(parsed.attributes.map(\.type) == [.lifetime, .messageIntegrity])
        #expect(STUNMessage.verifyIntegrity(of: tampered, key: key) == .valid)

        // And nothing counts after FINGERPRINT.
        let fingerprinted = try STUNMessage(method: .binding, class: .request, transactionID: transactionID).encoded(fingerprint: true)
        var afterFingerprint = fingerprinted + [0x80, 0x22, 0x00, 0x01, 0x41, 0, 0, 0]
        afterFingerprint[3] = UInt8(afterFingerprint.count - 20)
        #expect(try STUNMessage(parsing: afterFingerprint).attributes.map(\.type) == [.fingerprint])
        #expect(STUNMessage.verifyFingerprint(of: afterFingerprint) == .valid)
    }

    @Test func malformedInputsGetTypedErrors() throws {
        let good = try STUNMessage(method: .binding, class: .request, transactionID: transactionID,
                                   attributes: [.software("abc"), .xorMappedAddress(TransportAddress("192.0.2.1:1")!)]).encoded()
        func mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = good
            change(&bytes)
            return bytes
        }
        func parseError(_ bytes: [UInt8]) -> STUNParseError? {
            let result = Result { () throws(STUNParseError) in try STUNMessage(parsing: bytes) }
            if case .failure(let error) = result { return error }
            return nil
        }

        #expect(parseError([]) == .truncatedHeader(byteCount: 0))
        #expect(parseError(Array(good.prefix(19))) == .truncatedHeader(byteCount: 19))
        #expect(parseError(mutated { $0[0] |= 0x80 }) == .notSTUN(firstByte: 0x80))
        #expect(parseError(mutated { $0[0] = 0x40 }) == .notSTUN(firstByte: 0x40))
        #expect(parseError(mutated { $0[4] = 0x12 }) == .badMagicCookie(0x1212_A442))
        #expect(parseError(mutated { $0[3] += 2 }) == .lengthNotMultipleOfFour(Int(good[3]) + 2))
        #expect(parseError(mutated { $0[3] += 4 }) == .lengthMismatch(declared: Int(good[3]) + 4, available: Int(good[3])))
        #expect(parseError(Array(good.dropLast(4))) == .lengthMismatch(declared: Int(good[3]), available: Int(good[3]) - 4))
        #expect(parseError(good + [0, 0, 0, 0]) == .lengthMismatch(declared: Int(good[3]), available: Int(good[3]) + 4))
        // SOFTWARE's length byte is at 23: claim 200 bytes.
        #expect(parseError(mutated { $0[23] = 200 }) == .attributeOverrun(type: .software, offset: 20))
        // XOR-MAPPED-ADDRESS family byte is at 33.
        #expect(parseError(mutated { $0[33] = 3 }) == .badAddressFamily(type: .xorMappedAddress, family: 3))
        #expect(parseError(mutated { $0[33] = 2 }) == .badAttributeLength(type: .xorMappedAddress, length: 8))
        // A header cut inside an attribute.
        #expect(parseError(mutated { $0[3] = 4; $0.removeLast($0.count - 24) }) == .attributeOverrun(type: .software, offset: 20))
    }

    @Test func malformedAttributeValuesGetTypedErrors() throws {
        func parseError(type: UInt16, value: [UInt8]) -> STUNParseError? {
            let raw = STUNMessage(method: .binding, class: .request, transactionID: transactionID,
                                  attributes: [.other(type: STUNAttributeType(rawValue: type), value: value)])
            do { _ = try STUNMessage(parsing: try raw.encoded()); return nil } catch { return error as? STUNParseError }
        }
        #expect(parseError(type: 0x0006, value: [0xC3, 0x28]) == .invalidUTF8(type: .username))
        #expect(parseError(type: 0x8022, value: [0xFF]) == .invalidUTF8(type: .software))
        #expect(parseError(type: 0x0008, value: Array(repeating: 0, count: 16)) == .badAttributeLength(type: .messageIntegrity, length: 16))
        #expect(parseError(type: 0x001C, value: Array(repeating: 0, count: 12)) == .badAttributeLength(type: .messageIntegritySHA256, length: 12))
        #expect(parseError(type: 0x8028, value: [1, 2]) == .badAttributeLength(type: .fingerprint, length: 2))
        #expect(parseError(type: 0x0009, value: [0, 0, 4]) == .badAttributeLength(type: .errorCode, length: 3))
        #expect(parseError(type: 0x0009, value: [0, 0, 2, 0]) == .badErrorCode(errorClass: 2, number: 0))
        #expect(parseError(type: 0x0009, value: [0, 0, 4, 100]) == .badErrorCode(errorClass: 4, number: 100))
        #expect(parseError(type: 0x000A, value: [0, 1, 0]) == .badAttributeLength(type: .unknownAttributes, length: 3))
        #expect(parseError(type: 0x0024, value: [1, 2, 3]) == .badAttributeLength(type: .priority, length: 3))
        #expect(parseError(type: 0x0025, value: [1]) == .badAttributeLength(type: .useCandidate, length: 1))
        #expect(parseError(type: 0x802A, value: [1, 2, 3, 4]) == .badAttributeLength(type: .iceControlling, length: 4))
        #expect(parseError(type: 0x000D, value: []) == .badAttributeLength(type: .lifetime, length: 0))
        #expect(parseError(type: 0x0019, value: [17]) == .badAttributeLength(type: .requestedTransport, length: 1))
        #expect(parseError(type: 0x000C, value: [0x40, 0]) == .badAttributeLength(type: .channelNumber, length: 2))
        #expect(parseError(type: 0x0001, value: [0, 1, 0]) == .badAttributeLength(type: .mappedAddress, length: 3))
        #expect(parseError(type: 0x0001, value: [0, 0, 0, 1, 1, 2, 3, 4]) == .badAddressFamily(type: .mappedAddress, family: 0))
        // The reserved bits of ERROR-CODE are ignored; reasons may be empty.
        #expect(parseError(type: 0x0009, value: [0xFF, 0xFF, 0xFC, 1]) == nil)
    }

    @Test func encoderRefusesWhatCannotBeEncoded() {
        func encodingError(_ attribute: STUNAttribute) -> STUNEncodingError? {
            do {
                _ = try STUNMessage(method: .binding, class: .request, transactionID: transactionID, attributes: [attribute]).encoded()
                return nil
            } catch { return error }
        }
        #expect(encodingError(.data(Array(repeating: 0, count: 70_000))) == .attributeTooLong(type: .data, length: 70_000))
        #expect(encodingError(.data(Array(repeating: 0, count: 65_530))) == .messageTooLong(length: 65_536))
        #expect(encodingError(.errorCode(STUNErrorCode(code: 200, reason: "OK"))) == .unencodableErrorCode(200))
        #expect(encodingError(.errorCode(STUNErrorCode(code: 700, reason: ""))) == .unencodableErrorCode(700))
        #expect(encodingError(.messageIntegrity([1, 2, 3])) == .badIntegrityLength(type: .messageIntegrity, length: 3))
        #expect(encodingError(.messageIntegritySHA256(Array(repeating: 0, count: 18))) == .badIntegrityLength(type: .messageIntegritySHA256, length: 18))
        #expect(encodingError(.data(Array(repeating: 0, count: 65_000))) == nil)
    }

    @Test func responsesKeepMethodAndTransaction() throws {
        let request = STUNMessage(method: .allocate, class: .request, transactionID: transactionID,
                                  attributes: [.requestedTransport(17)])
        let success = request.successResponse(attributes: [.xorRelayedAddress(TransportAddress("192.0.2.15:50000")!), .lifetime(600)])
        #expect(success.method == .allocate && success.messageClass == .successResponse && success.transactionID == transactionID)
        let failure = request.errorResponse(.unauthorized, attributes: [.realm("r"), .nonce("n")])
        #expect(failure.messageClass == .errorResponse)
        #expect(failure.errorCode == STUNErrorCode(code: 401, reason: "Unauthorized"))
        #expect(failure.attributes.map(\.type) == [.errorCode, .realm, .nonce])
        let parsed = try STUNMessage(parsing: try failure.encoded())
        #expect(parsed == failure)
    }

    @Test func transactionIDsConvertAndDiffer() {
        let bytes: [UInt8] = Array(1...12)
        let id = STUNTransactionID(bytes: bytes)!
        #expect(id.bytes == bytes)
        #expect(id.description == "0102030405060708090a0b0c")
        #expect(STUNTransactionID(bytes: [1, 2, 3]) == nil)
        var generator = SplitMix64(seed: 1)
        #expect(STUNTransactionID.random(using: &generator) != STUNTransactionID.random(using: &generator))
        #expect(STUNTransactionID.random() != STUNTransactionID.random())
    }

    @Test func looksLikeSTUNIsCheapAndStrict() throws {
        let bytes = try STUNMessage(method: .binding, class: .request, transactionID: transactionID).encoded(fingerprint: true)
        #expect(STUNMessage.looksLikeSTUN(bytes))
        #expect(STUNMessage.looksLikeSTUN(bytes[...]))
        #expect(!STUNMessage.looksLikeSTUN(bytes.dropLast()))
        #expect(!STUNMessage.looksLikeSTUN(Array(repeating: 0, count: 20)))
        #expect(!STUNMessage.looksLikeSTUN([UInt8]()))
    }
}
