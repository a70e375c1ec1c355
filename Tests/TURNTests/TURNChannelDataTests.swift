import RTCTestSupport
import STUN
import Testing
import TURN

@Suite struct TURNChannelDataTests {
    @Test func encodesWithAndWithoutPadding() throws {
        let message = TURNChannelData(channel: 0x4001, payload: Array("hello".utf8))
        let padded = try message.encoded()
        #expect(padded == [0x40, 0x01, 0x00, 0x05] + Array("hello".utf8) + [0, 0, 0])
        let unpadded = try message.encoded(padded: false)
        #expect(unpadded.count == 9)
        #expect(try TURNChannelData(parsing: padded) == message)
        #expect(try TURNChannelData(parsing: unpadded) == message)
        #expect(try TURNChannelData(parsing: try TURNChannelData(channel: 0x4FFF, payload: []).encoded()).payload == [])
    }

    @Test func rejectsMalformedFrames() {
        func parseError(_ bytes: [UInt8]) -> TURNChannelData.ParseError? {
            let result = Result { () throws(TURNChannelData.ParseError) in try TURNChannelData(parsing: bytes) }
            if case .failure(let error) = result { return error }
            return nil
        }
        #expect(parseError([0x40, 0x00, 0x00]) == .truncatedHeader(byteCount: 3))
        #expect(parseError([0x3F, 0xFF, 0x00, 0x00]) == .channelOutOfRange(0x3FFF))
        #expect(parseError([0x50, 0x00, 0x00, 0x00]) == .channelOutOfRange(0x5000))
        #expect(parseError([0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4]) == .lengthOverrun(declared: 5, available: 4))
        #expect(parseError([0x40, 0x00, 0x00, 0x01, 1, 0, 0, 0, 0]) == .trailingBytes(4))
        #expect(parseError([0x40, 0x00, 0x00, 0x01, 1, 0]) == .trailingBytes(1))
        #expect(parseError([0x40, 0x00, 0x00, 0x00]) == nil)
    }

    @Test func encoderRefusesBadChannelsAndHugePayloads() {
        #expect(throws: TURNChannelData.EncodingError.channelOutOfRange(0x3000)) {
            try TURNChannelData(channel: 0x3000, payload: []).encoded()
        }
        #expect(throws: TURNChannelData.EncodingError.payloadTooLong(65_536)) {
            try TURNChannelData(channel: 0x4000, payload: Array(repeating: 0, count: 65_536)).encoded()
        }
    }

    @Test(arguments: [
        (UInt8(0), DatagramKind.stun), (3, .stun), (4, .unknown), (16, .zrtp), (19, .zrtp),
        (20, .dtls), (22, .dtls), (63, .dtls), (64, .turnChannelData), (79, .turnChannelData),
        (80, .unknown), (128, .rtp), (191, .rtp), (192, .unknown), (255, .unknown),
    ])
    func classifiesDatagramsByFirstByte(first: UInt8, kind: DatagramKind) {
        #expect(DatagramKind(classifying: [first, 0, 0, 0]) == kind)
    }

    @Test func classifiesRealMessages() throws {
        let stun = try STUNMessage(method: .binding, class: .request, transactionID: .random()).encoded()
        #expect(DatagramKind(classifying: stun) == .stun)
        #expect(DatagramKind(classifying: try TURNChannelData(channel: 0x4000, payload: [22]).encoded()) == .turnChannelData)
        #expect(DatagramKind(classifying: [UInt8]()) == .unknown)
        #expect(DatagramKind(classifying: stun[4...]) == .dtls)  // 0x21 from the magic cookie: slices work too
    }
}

@Suite struct TURNPropertyTests {
    /// Random bytes into everything TURN parses: nothing traps, and what parses survives encoding.
    @Test func randomBytesNeverTrapAndWhatParsesRoundTrips() throws {
        var generator = SplitMix64(seed: 0x7475_726E)
        for _ in 0..<20_000 {
            let bytes = generator.bytes(Int.random(in: 0...40, using: &generator))
            if let length = TURNStreamFraming.messageLength(startingWith: bytes) {
                #expect(length >= TURNStreamFraming.headerLength && length % 4 == 0)
            }
            guard let message = try? TURNChannelData(parsing: bytes) else { continue }
            for padded in [true, false] {
                #expect(try TURNChannelData(parsing: message.encoded(padded: padded)) == message)
            }
        }
    }
}
