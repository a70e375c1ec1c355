import RTCTestSupport
import Testing
import STUN

/// Property-style checks with a seeded generator, so every run feeds the same inputs:
/// random valid messages round-trip byte for byte, and random or mutated bytes never trap the
/// parser, the verifiers or the ChannelData parser.
@Suite struct STUNPropertyTests {
    static let methods: [STUNMethod] = [.binding, .allocate, .refresh, .send, .data, .createPermission, .channelBind]

    static func randomText(using generator: inout SplitMix64) -> String {
        let alphabet = Array("abcXYZ019:+/=-_. ") + ["\u{00E9}", "\u{30DE}", "\u{1F600}", "\0"]
        return String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }

    static func randomAddress(using generator: inout SplitMix64) -> TransportAddress {
        let ip: IPAddress = generator.chance(0.5)
            ? .v4(generator.next())
            : .v6(high: generator.next(), low: generator.next())
        return TransportAddress(ip: ip, port: UInt16.random(in: 0...UInt16.max, using: &generator))
    }

    static func randomAttribute(using generator: inout SplitMix64) -> STUNAttribute {
        switch Int.random(in: 0..<21, using: &generator) {
        case 0: return .mappedAddress(randomAddress(using: &generator))
        case 1: return .xorMappedAddress(randomAddress(using: &generator))
        case 2: return .xorPeerAddress(randomAddress(using: &generator))
        case 3: return .xorRelayedAddress(randomAddress(using: &generator))
        case 4: return .username(randomText(using: &generator))
        case 5: return .realm(randomText(using: &generator))
        case 6: return .nonce(randomText(using: &generator))
        case 7: return .software(randomText(using: &generator))
        case 8: return .errorCode(STUNErrorCode(code: Int.random(in: 300...699, using: &generator), reason: randomText(using: &generator)))
        case 9: return .unknownAttributes((0..<Int.random(in: 0...5, using: &generator)).map { _ in
            STUNAttributeType(rawValue: UInt16.random(in: 0...UInt16.max, using: &generator)) })
        case 10: return .priority(UInt32.random(in: 0...UInt32.max, using: &generator))
        case 11: return .useCandidate
        case 12: return .iceControlled(generator.next())
        case 13: return .iceControlling(generator.next())
        case 14: return .lifetime(UInt32.random(in: 0...UInt32.max, using: &generator))
        case 15: return .requestedTransport(UInt8.random(in: 0...255, using: &generator))
        case 16: return .data(generator.bytes(Int.random(in: 0...64, using: &generator)))
        case 17: return .channelNumber(UInt16.random(in: 0...UInt16.max, using: &generator))
        case 18: return .other(type: STUNAttributeType(rawValue: UInt16.random(in: 0xC100...0xC1FF, using: &generator)),
                               value: generator.bytes(Int.random(in: 0...16, using: &generator)))
        case 19: return .other(type: STUNAttributeType(rawValue: UInt16.random(in: 0x0040...0x007F, using: &generator)),
                               value: generator.bytes(Int.random(in: 0...16, using: &generator)))
        default: return .messageIntegrity(generator.bytes(20))
        }
    }

    static func randomMessage(using generator: inout SplitMix64) -> STUNMessage {
        let method = generator.chance(0.9)
            ? methods.randomElement(using: &generator)!
            : STUNMethod(rawValue: UInt16.random(in: 0...0xFFF, using: &generator))
        var attributes = (0..<Int.random(in: 0...8, using: &generator)).map { _ in randomAttribute(using: &generator) }
        // A received MESSAGE-INTEGRITY can only be last (or followed by FINGERPRINT): keep one, at the end.
        attributes.removeAll { $0.type == .messageIntegrity }
        if generator.chance(0.2) { attributes.append(.messageIntegrity(generator.bytes(20))) }
        return STUNMessage(method: method, class: STUNMessageClass.allCases.randomElement(using: &generator)!,
                           transactionID: .random(using: &generator), attributes: attributes)
    }

    /// Everything that takes untrusted bytes, run on one input: none may trap. What parses must
    /// encode to bytes that parse back to the same message and encode the same way again.
    static func probe(_ bytes: [UInt8]) throws {
        _ = DatagramKind(classifying: bytes)
        _ = STUNMessage.looksLikeSTUN(bytes)
        _ = STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: "k"))
        _ = STUNMessage.verifyIntegritySHA256(of: bytes, key: .shortTerm(password: "k"))
        _ = STUNMessage.verifyFingerprint(of: bytes)
        if bytes.count > 3 { _ = try? STUNMessage(parsing: bytes[3...]) }
        guard let message = try? STUNMessage(parsing: bytes) else { return }
        let encoded = try message.encoded()
        let reparsed = try STUNMessage(parsing: encoded)
        #expect(reparsed == message)
        #expect(try reparsed.encoded() == encoded)
    }

    @Test func randomValidMessagesRoundTripByteForByte() throws {
        var generator = SplitMix64(seed: 0x5354_554E)
        for round in 0..<3_000 {
            let message = Self.randomMessage(using: &generator)
            let key = STUNKey(bytes: generator.bytes(Int.random(in: 0...24, using: &generator)))
            let signed = round % 3 != 0
            let algorithms: STUNIntegrityAlgorithms = [[.sha1], [.sha256], [.sha1, .sha256]].randomElement(using: &generator)!
            let fingerprint = generator.chance(0.5)
            let bytes = try message.encoded(integrityKey: signed ? key : nil, integrityAlgorithms: algorithms, fingerprint: fingerprint)

            let parsed = try STUNMessage(parsing: bytes)
            #expect(try parsed.encoded() == bytes)
            #expect(parsed.method == message.method && parsed.messageClass == message.messageClass)
            #expect(parsed.transactionID == message.transactionID)
            if !signed && !fingerprint { #expect(parsed == message) }
            if signed {
                #expect(parsed.attributes.filter { $0.type != .fingerprint && $0.type != .messageIntegrity && $0.type != .messageIntegritySHA256 }
                        == message.attributes.filter { $0.type != .messageIntegrity })
                if algorithms.contains(.sha1) { #expect(STUNMessage.verifyIntegrity(of: bytes, key: key) == .valid) }
                if algorithms.contains(.sha256) { #expect(STUNMessage.verifyIntegritySHA256(of: bytes, key: key) == .valid) }
            }
            #expect(STUNMessage.verifyFingerprint(of: bytes) == (fingerprint ? .valid : .absent))
        }
    }

    @Test func randomAndMutatedBytesNeverTrap() throws {
        var generator = SplitMix64(seed: 7983)
        var seeds = [STUNVectorTests.sampleRequest, STUNVectorTests.sampleIPv4Response,
                     STUNVectorTests.sampleIPv6Response, STUNVectorTests.sampleLongTermRequest]
        for _ in 0..<40 {
            seeds.append(try Self.randomMessage(using: &generator).encoded(integrityKey: STUNKey(bytes: [1]), fingerprint: true))
        }
        var parsedCount = 0
        for round in 0..<30_000 {
            var bytes: [UInt8]
            switch round % 5 {
            case 0:
                bytes = generator.bytes(Int.random(in: 0...120, using: &generator))
            case 1:
                // A valid header over random attribute soup reaches the attribute decoders.
                let body = generator.bytes(4 * Int.random(in: 0...24, using: &generator))
                bytes = [UInt8.random(in: 0...0x3F, using: &generator), UInt8.random(in: 0...255, using: &generator),
                         UInt8(body.count >> 8), UInt8(body.count & 0xFF), 0x21, 0x12, 0xA4, 0x42] + generator.bytes(12) + body
            default:
                bytes = seeds.randomElement(using: &generator)!
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    Self.mutate(&bytes, using: &generator)
                }
            }
            try Self.probe(bytes)
            if (try? STUNMessage(parsing: bytes)) != nil { parsedCount += 1 }
        }
        // The mutations must still let a fair share through, or the round-trip half tests nothing.
        #expect(parsedCount > 3_000)
    }

    static func mutate(_ bytes: inout [UInt8], using generator: inout SplitMix64) {
        guard !bytes.isEmpty else { bytes = generator.bytes(24); return }
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
        case 1: bytes[index] = UInt8.random(in: 0...255, using: &generator)
        case 2: bytes.removeSubrange(index...)
        case 3: bytes += generator.bytes(Int.random(in: 1...8, using: &generator))
        case 4 where bytes.count >= 4:
            // A length field somewhere, header or attribute, set to something plausible.
            let at = Int.random(in: 0...(bytes.count - 2), using: &generator) & ~1
            let value = UInt16.random(in: 0...96, using: &generator)
            bytes[at] = UInt8(value >> 8); bytes[at + 1] = UInt8(value & 0xFF)
        case 5 where bytes.count >= 24:
            // Drop or duplicate one 4-byte word, then fix the header length so framing still holds.
            let word = 20 + (Int.random(in: 0..<((bytes.count - 20) / 4), using: &generator) * 4)
            if generator.chance(0.5) { bytes.removeSubrange(word..<min(word + 4, bytes.count)) }
            else { bytes.insert(contentsOf: bytes[word..<min(word + 4, bytes.count)], at: word) }
            let length = max(0, bytes.count - 20)
            bytes[2] = UInt8(truncatingIfNeeded: length >> 8); bytes[3] = UInt8(truncatingIfNeeded: length)
        case 6 where bytes.count >= 20:
            // Flip the family byte of whatever looks like an address.
            bytes[index] = [0, 1, 2, 3].randomElement(using: &generator)!
        default:
            bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
        }
    }
}
