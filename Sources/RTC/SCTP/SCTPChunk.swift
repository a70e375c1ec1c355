/// The SCTP chunks a WebRTC association uses (RFC 9260, RFC 6525 for RE-CONFIG), parsed from and written
/// to packets. Payloads stay slices of the packet they came in, so a DATA chunk costs no copy until its
/// message is delivered.
enum SCTPChunk {
    case data(DataChunk)
    case initiation(Initiation)
    case initiationAck(Initiation, cookie: [UInt8])
    case sack(SelectiveAck)
    case heartbeat(info: ArraySlice<UInt8>)
    case heartbeatAck(info: ArraySlice<UInt8>)
    case abort
    case shutdown(cumulativeTSN: UInt32)
    case shutdownAck
    case shutdownComplete
    case cookieEcho(cookie: ArraySlice<UInt8>)
    case cookieAck
    case reconfig([ReconfigParameter])
    /// Anything else; its type's two high bits say what a receiver does with it (RFC 9260 §3.2).
    case unknown(type: UInt8)

    struct DataChunk {
        var tsn: UInt32
        var stream: UInt16
        var ssn: UInt16
        var ppid: UInt32
        var unordered: Bool
        var beginning: Bool
        var ending: Bool
        var payload: ArraySlice<UInt8>
    }

    /// INIT and INIT ACK share their fixed fields.
    struct Initiation {
        var tag: UInt32
        var receiverWindow: UInt32
        var outboundStreams: UInt16
        var inboundStreams: UInt16
        var initialTSN: UInt32
    }

    struct SelectiveAck {
        var cumulativeTSN: UInt32
        var receiverWindow: UInt32
        /// Received TSN ranges past the cumulative one, as offsets from it (both ends included).
        var gaps: [(start: UInt16, end: UInt16)]
        var duplicates: [UInt32]
    }

    enum ReconfigParameter {
        /// "Outgoing SSN Reset Request": the sender resets these outgoing streams once it has sent `lastTSN`.
        case outgoingReset(request: UInt32, response: UInt32, lastTSN: UInt32, streams: [UInt16])
        case response(request: UInt32, result: UInt32)
        case unknown(type: UInt16)
    }

    enum ChunkType {
        static let data: UInt8 = 0
        static let initiation: UInt8 = 1
        static let initiationAck: UInt8 = 2
        static let sack: UInt8 = 3
        static let heartbeat: UInt8 = 4
        static let heartbeatAck: UInt8 = 5
        static let abort: UInt8 = 6
        static let shutdown: UInt8 = 7
        static let shutdownAck: UInt8 = 8
        static let cookieEcho: UInt8 = 10
        static let cookieAck: UInt8 = 11
        static let shutdownComplete: UInt8 = 14
        static let reconfig: UInt8 = 130
    }

    /// RE-CONFIG results (RFC 6525 §4.4).
    enum ReconfigResult {
        static let performed: UInt32 = 1
        static let inProgress: UInt32 = 6
    }

    /// Bytes before a DATA chunk's payload.
    static let dataHeaderLength = 16
}

// MARK: Parsing

extension SCTPChunk {
    /// One chunk at `offset` of `packet` (after the common header); nil when it does not fit. `length` is
    /// its declared length, without padding.
    static func parse(_ packet: [UInt8], at offset: Int) -> (chunk: SCTPChunk, length: Int)? {
        guard offset + 4 <= packet.count else { return nil }
        let type = packet[offset]
        let flags = packet[offset + 1]
        let length = Int(packet.uint16(at: offset + 2))
        guard length >= 4, offset + length <= packet.count else { return nil }
        let body = offset + 4
        let end = offset + length
        func needs(_ count: Int) -> Bool { end - body >= count }
        let chunk: SCTPChunk
        switch type {
        case ChunkType.data:
            guard needs(12) else { return nil }
            chunk = .data(DataChunk(
                tsn: packet.uint32(at: body), stream: packet.uint16(at: body + 4), ssn: packet.uint16(at: body + 6),
                ppid: packet.uint32(at: body + 8), unordered: flags & 0x04 != 0, beginning: flags & 0x02 != 0, ending: flags & 0x01 != 0,
                payload: packet[(body + 12)..<end]))
        case ChunkType.initiation, ChunkType.initiationAck:
            guard needs(16) else { return nil }
            let initiation = Initiation(
                tag: packet.uint32(at: body), receiverWindow: packet.uint32(at: body + 4), outboundStreams: packet.uint16(at: body + 8),
                inboundStreams: packet.uint16(at: body + 10), initialTSN: packet.uint32(at: body + 12))
            if type == ChunkType.initiation {
                chunk = .initiation(initiation)
            } else {
                // The state cookie is the one parameter we need from an INIT ACK.
                var cookie: [UInt8]?
                forEachParameter(packet, from: body + 16, to: end) { type, value in
                    if type == 7 { cookie = Array(value) }
                }
                guard let cookie else { return nil }
                chunk = .initiationAck(initiation, cookie: cookie)
            }
        case ChunkType.sack:
            guard needs(12) else { return nil }
            let gapCount = Int(packet.uint16(at: body + 8))
            let duplicateCount = Int(packet.uint16(at: body + 10))
            guard needs(12 + 4 * (gapCount + duplicateCount)) else { return nil }
            var gaps: [(start: UInt16, end: UInt16)] = []
            gaps.reserveCapacity(gapCount)
            for index in 0..<gapCount {
                gaps.append((packet.uint16(at: body + 12 + 4 * index), packet.uint16(at: body + 14 + 4 * index)))
            }
            let duplicatesStart = body + 12 + 4 * gapCount
            let duplicates = (0..<duplicateCount).map { packet.uint32(at: duplicatesStart + 4 * $0) }
            chunk = .sack(SelectiveAck(cumulativeTSN: packet.uint32(at: body), receiverWindow: packet.uint32(at: body + 4), gaps: gaps, duplicates: duplicates))
        case ChunkType.heartbeat:
            chunk = .heartbeat(info: packet[body..<end])
        case ChunkType.heartbeatAck:
            chunk = .heartbeatAck(info: packet[body..<end])
        case ChunkType.abort:
            chunk = .abort
        case ChunkType.shutdown:
            guard needs(4) else { return nil }
            chunk = .shutdown(cumulativeTSN: packet.uint32(at: body))
        case ChunkType.shutdownAck:
            chunk = .shutdownAck
        case ChunkType.shutdownComplete:
            chunk = .shutdownComplete
        case ChunkType.cookieEcho:
            chunk = .cookieEcho(cookie: packet[body..<end])
        case ChunkType.cookieAck:
            chunk = .cookieAck
        case ChunkType.reconfig:
            var parameters: [ReconfigParameter] = []
            forEachParameter(packet, from: body, to: end) { type, value in
                let start = value.startIndex
                switch type {
                case 13 where value.count >= 12:
                    let streams = stride(from: start + 12, to: value.endIndex - 1, by: 2).map { packet.uint16(at: $0) }
                    parameters.append(.outgoingReset(
                        request: packet.uint32(at: start), response: packet.uint32(at: start + 4), lastTSN: packet.uint32(at: start + 8), streams: streams))
                case 16 where value.count >= 8:
                    parameters.append(.response(request: packet.uint32(at: start), result: packet.uint32(at: start + 4)))
                default:
                    parameters.append(.unknown(type: type))
                }
            }
            chunk = .reconfig(parameters)
        default:
            chunk = .unknown(type: type)
        }
        return (chunk, length)
    }

    /// Calls `body` with each TLV parameter's type and value in `packet[start..<end]`.
    private static func forEachParameter(_ packet: [UInt8], from start: Int, to end: Int, _ body: (UInt16, ArraySlice<UInt8>) -> Void) {
        var offset = start
        while offset + 4 <= end {
            let type = packet.uint16(at: offset)
            let length = Int(packet.uint16(at: offset + 2))
            guard length >= 4, offset + length <= end else { return }
            body(type, packet[(offset + 4)..<(offset + length)])
            offset += (length + 3) & ~3
        }
    }
}

// MARK: Writing

extension SCTPChunk {
    /// Appends the chunk, padded to 4 bytes, to `packet`.
    func write(to packet: inout [UInt8]) {
        let start = packet.count
        switch self {
        case .data(let data):
            let flags: UInt8 = (data.unordered ? 0x04 : 0) | (data.beginning ? 0x02 : 0) | (data.ending ? 0x01 : 0)
            packet.appendHeader(type: ChunkType.data, flags: flags)
            packet.append(uint32: data.tsn)
            packet.append(uint16: data.stream)
            packet.append(uint16: data.ssn)
            packet.append(uint32: data.ppid)
            packet.append(contentsOf: data.payload)
        case .initiation(let initiation):
            packet.appendHeader(type: ChunkType.initiation, flags: 0)
            initiation.write(to: &packet)
        case .initiationAck(let initiation, let cookie):
            packet.appendHeader(type: ChunkType.initiationAck, flags: 0)
            initiation.write(to: &packet, cookie: cookie)
        case .sack(let sack):
            packet.appendHeader(type: ChunkType.sack, flags: 0)
            packet.append(uint32: sack.cumulativeTSN)
            packet.append(uint32: sack.receiverWindow)
            packet.append(uint16: UInt16(sack.gaps.count))
            packet.append(uint16: UInt16(sack.duplicates.count))
            for gap in sack.gaps {
                packet.append(uint16: gap.start)
                packet.append(uint16: gap.end)
            }
            for duplicate in sack.duplicates { packet.append(uint32: duplicate) }
        case .heartbeat(let info):
            packet.appendHeader(type: ChunkType.heartbeat, flags: 0)
            packet.append(contentsOf: info)
        case .heartbeatAck(let info):
            packet.appendHeader(type: ChunkType.heartbeatAck, flags: 0)
            packet.append(contentsOf: info)
        case .abort:
            packet.appendHeader(type: ChunkType.abort, flags: 0)
        case .shutdown(let cumulativeTSN):
            packet.appendHeader(type: ChunkType.shutdown, flags: 0)
            packet.append(uint32: cumulativeTSN)
        case .shutdownAck:
            packet.appendHeader(type: ChunkType.shutdownAck, flags: 0)
        case .shutdownComplete:
            packet.appendHeader(type: ChunkType.shutdownComplete, flags: 0)
        case .cookieEcho(let cookie):
            packet.appendHeader(type: ChunkType.cookieEcho, flags: 0)
            packet.append(contentsOf: cookie)
        case .cookieAck:
            packet.appendHeader(type: ChunkType.cookieAck, flags: 0)
        case .reconfig(let parameters):
            packet.appendHeader(type: ChunkType.reconfig, flags: 0)
            for (index, parameter) in parameters.enumerated() {
                // The chunk's length counts every parameter's padding but the last one's.
                if index > 0 { packet.padToFour() }
                switch parameter {
                case .outgoingReset(let request, let response, let lastTSN, let streams):
                    packet.append(uint16: 13)
                    packet.append(uint16: UInt16(16 + 2 * streams.count))
                    packet.append(uint32: request)
                    packet.append(uint32: response)
                    packet.append(uint32: lastTSN)
                    for stream in streams { packet.append(uint16: stream) }
                case .response(let request, let result):
                    packet.append(uint16: 16)
                    packet.append(uint16: 12)
                    packet.append(uint32: request)
                    packet.append(uint32: result)
                case .unknown:
                    break
                }
            }
        case .unknown:
            return
        }
        packet.setUInt16(UInt16(packet.count - start), at: start + 2)
        packet.padToFour()
    }
}

extension SCTPChunk.Initiation {
    /// The fixed fields, an INIT ACK's state cookie, and Supported Extensions (RFC 5061 §4.2.7): RE-CONFIG, for
    /// closing channels by stream reset. That parameter goes last, so the chunk's length leaves out its padding.
    func write(to packet: inout [UInt8], cookie: [UInt8]? = nil) {
        packet.append(uint32: tag)
        packet.append(uint32: receiverWindow)
        packet.append(uint16: outboundStreams)
        packet.append(uint16: inboundStreams)
        packet.append(uint32: initialTSN)
        if let cookie {
            packet.append(uint16: 7)
            packet.append(uint16: UInt16(4 + cookie.count))
            packet.append(contentsOf: cookie)
            packet.padToFour()
        }
        packet.append(uint16: 0x8008)
        packet.append(uint16: 5)
        packet.append(SCTPChunk.ChunkType.reconfig)
    }
}

extension [UInt8] {
    func uint16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    func uint32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }

    mutating func append(uint16 value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func append(uint32 value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func setUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    mutating func setUInt32(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(value >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: value)
    }

    /// A chunk header whose length `SCTPChunk.write` fills in.
    mutating func appendHeader(type: UInt8, flags: UInt8) {
        append(type)
        append(flags)
        append(uint16: 0)
    }

    mutating func padToFour() {
        while count % 4 != 0 { append(0) }
    }
}
