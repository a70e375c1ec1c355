import STUN
import Testing
import TURN

@Suite struct TURNStreamFramingTests {
    @Test func aSTUNMessageIsItsHeaderAndAttributes() throws {
        let message = STUNMessage(method: .allocate, class: .request, transactionID: .random(), attributes: [.lifetime(600), .software("x")])
        let bytes = try message.encoded()
        #expect(TURNStreamFraming.messageLength(startingWith: bytes) == bytes.count)
        #expect(TURNStreamFraming.messageLength(startingWith: bytes.prefix(4)) == bytes.count)
    }

    @Test func channelDataCountsItsPadding() throws {
        for size in [0, 1, 3, 4, 5, 1200] {
            let padded = try TURNChannelData(channel: 0x4001, payload: Array(repeating: 7, count: size)).encoded(padded: true)
            #expect(TURNStreamFraming.messageLength(startingWith: padded) == padded.count)
            #expect(padded.count % 4 == 0)
        }
    }

    @Test func splitsAStreamOfBothKinds() throws {
        let stun = try STUNMessage(method: .refresh, class: .request, transactionID: .random(), attributes: [.lifetime(0)]).encoded()
        let data = try TURNChannelData(channel: 0x4000, payload: [1, 2, 3, 4, 5]).encoded(padded: true)
        var stream = ArraySlice(data + stun + data)
        var lengths: [Int] = []
        while let length = TURNStreamFraming.messageLength(startingWith: stream), length <= stream.count {
            lengths.append(length)
            stream = stream.dropFirst(length)
        }
        #expect(lengths == [data.count, stun.count, data.count])
        #expect(stream.isEmpty)
    }

    @Test func refusesWhatFramesAsNeither() {
        #expect(TURNStreamFraming.messageLength(startingWith: [0x16, 0xFE, 0xFD, 0x00]) == nil)  // a DTLS record
        #expect(TURNStreamFraming.messageLength(startingWith: [0x00, 0x01, 0x00, 0x05]) == nil)  // STUN length not a multiple of 4
        #expect(TURNStreamFraming.messageLength(startingWith: [0x00, 0x01]) == nil)  // too short to tell
    }
}
