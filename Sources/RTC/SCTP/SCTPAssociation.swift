import SansIO

/// What an association reports.
public enum SCTPEvent: Sendable, Equatable {
    case connected
    /// A whole message, reassembled from however many DATA chunks carried it.
    case message(stream: UInt16, ppid: UInt32, data: [UInt8])
    /// The peer reset these incoming streams (its data channels on them closed).
    case streamsReset([UInt16])
    /// Everything queued by `send` has been handed to SCTP (buffered amount reached zero).
    case bufferedAmountLow
    case closed
}

public enum SCTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case messageTooLarge(size: Int, limit: Int)
    case closed

    public var description: String {
        switch self {
        case .messageTooLarge(let size, let limit): "SCTP: message of \(size) bytes exceeds the peer's limit of \(limit)"
        case .closed: "SCTP: association closed"
        }
    }
}

/// One SCTP association (RFC 9260) as WebRTC uses it over DTLS (RFC 8261): one path, no heartbeats of its own,
/// RE-CONFIG stream resets (RFC 6525) for closing channels. A sans-IO state machine: `receive` takes packets from
/// DTLS, `pollTransmit` yields packets for DTLS, `pollEvent` yields events, and `handleTimeout(now:)` runs the
/// timers at `deadline`, all on the caller's clock.
///
/// Both ends start the association (`connect`), as WebRTC's peers do; the crossing INITs meet as RFC 9260 §5.2.1
/// says. Sending follows RFC 9260 §6 and §7: a congestion window (slow start, congestion avoidance, fast
/// retransmit after three miss reports, timeout backing off), the peer's receive window, a retransmission timer
/// from measured round trips (Karn's rule). Receiving acknowledges every second packet at once, or within
/// `delayedAckTime`, and at once on a gap or a duplicate. Messages wait in `outbound` (counted by
/// `bufferedAmount`) until the windows let them go.
public final class SCTPAssociation {
    enum State {
        case closed, cookieWait, cookieEchoed, established, shutdownPending, shutdownReceived, shutdownSent, shutdownAckSent
    }

    /// An SCTP packet's largest size: WebRTC keeps UDP payloads near 1200 bytes, and DTLS adds its record header
    /// and AEAD overhead (37 bytes with AES-GCM) to this.
    static let maxPacketSize = 1172
    static let mtu = maxPacketSize
    static let streamCount: UInt16 = 1024
    static let rtoInitial: Duration = .milliseconds(500)
    static let rtoMin: Duration = .milliseconds(100)
    static let rtoMax: Duration = .seconds(5)
    static let delayedAckTime: Duration = .milliseconds(20)
    /// Consecutive retransmission timeouts after which the peer is taken as gone.
    static let maxRetransmissions = 10
    static let maxInitRetransmissions = 8

    /// What we accept from the peer (our `a=max-message-size`).
    public let maxReceiveMessageSize: Int
    /// What the peer accepts (its `a=max-message-size`; 65536 when it does not say).
    public var maxSendMessageSize: Int

    let localPort: UInt16
    let remotePort: UInt16
    /// Our receive buffer: the window we advertise when nothing waits in it.
    let receiveWindow: Int
    var state = State.closed
    let localTag: UInt32
    var peerTag: UInt32 = 0
    /// Proves a COOKIE ECHO carries a cookie we made.
    let cookieSecret: UInt64
    /// The peer's cookie while we echo it (retransmitted with T1).
    var cookieToEcho: [UInt8]?
    /// T1 (INIT, COOKIE ECHO) and T2 (SHUTDOWN, SHUTDOWN ACK): one at a time.
    var handshakeDeadline: Duration?
    var handshakeRetransmissions = 0

    // MARK: Sending
    struct OutboundMessage {
        var stream: UInt16
        var ppid: UInt32
        var unordered: Bool
        var data: [UInt8]
        /// How much of `data` has gone into DATA chunks.
        var offset = 0
        var ssn: UInt16 = 0
    }
    var outbound: [OutboundMessage] = []
    var outboundHead = 0
    public internal(set) var bufferedAmount = 0
    /// A `send` left data waiting: `.bufferedAmountLow` is owed once it has all gone.
    var sendBlocked = false
    /// Ours, in INIT and INIT ACK alike (so crossing INITs agree); also our first RE-CONFIG request's number.
    let initialTSN: UInt32
    var nextTSN: UInt32
    var nextSSN: [UInt16: UInt16] = [:]

    /// A DATA chunk sent and not yet acknowledged cumulatively. `inflight[inflightHead...]` hold consecutive TSNs.
    struct Outstanding {
        var chunk: SCTPChunk.DataChunk
        var sentAt: Duration
        var retransmitted = false
        /// Acknowledged by a gap block.
        var acked = false
        /// Counted in `flightSize`.
        var inFlight = true
        var needsRetransmit = false
        var missReports = 0
        var fastRetransmitted = false
    }
    var inflight: [Outstanding] = []
    var inflightHead = 0
    /// Payload bytes sent and neither acknowledged nor given up as lost.
    var flightSize = 0
    var retransmitsPending = 0
    var cwnd = 10 * SCTPAssociation.mtu
    var ssthresh = Int.max
    var partialBytesAcked = 0
    /// While set, in fast recovery until this TSN is acknowledged (RFC 9260 §7.2.4).
    var fastRecoveryExit: UInt32?
    var peerWindow = 0
    /// RFC 9260 §6.3.1's SRTT and RTTVAR, in nanoseconds.
    var smoothedRTT: Int64?
    var rttVariation: Int64 = 0
    var rto = SCTPAssociation.rtoInitial
    var retransmissionDeadline: Duration?
    var timeoutsInARow = 0

    // MARK: Receiving
    /// The peer's last TSN we hold every chunk up to.
    var cumulativeTSN: UInt32 = 0
    /// TSNs past `cumulativeTSN` we hold, in order.
    var receivedAbove: [UInt32] = []
    var duplicates: [UInt32] = []
    /// A message whose pieces have arrived in order so far, put together as they come (the common case: no lookups).
    struct Assembly {
        var stream: UInt16
        var ssn: UInt16
        var unordered: Bool
        var ppid: UInt32
        var nextTSN: UInt32
        var data: [UInt8]
    }
    var assembling: Assembly?
    /// Pieces of messages that arrived out of order, by TSN.
    var fragments: [UInt32: SCTPChunk.DataChunk] = [:]
    var expectedSSN: [UInt16: UInt16] = [:]
    /// Whole ordered messages waiting for an earlier one on their stream, by stream and SSN.
    var waitingInOrder: [UInt16: [UInt16: (ppid: UInt32, data: [UInt8])]] = [:]
    /// Whole messages held while receiving is paused.
    var held: [(stream: UInt16, ppid: UInt32, data: [UInt8])] = []
    /// Bytes in `fragments`, `waitingInOrder` and `held`: they shrink the window we advertise.
    var receiveBuffered = 0
    var packetsSinceAck = 0
    var ackNow = false
    var ackDeadline: Duration?

    // MARK: Stream reset (RFC 6525)
    var streamsToReset: [UInt16] = []
    /// Messages sent on a stream while it was being reset.
    var waitingForReset: [OutboundMessage] = []
    var resetInFlight: (request: UInt32, streams: [UInt16])?
    var resetDeadline: Duration?
    var nextResetRequest: UInt32
    /// The peer's next request sequence number, and our answer to its last one (sent again if it asks again).
    var peerNextResetRequest: UInt32 = 0
    var lastResetAnswer: (request: UInt32, result: UInt32)?
    /// A peer request waiting for the data sent before it.
    var deferredPeerReset: (request: UInt32, lastTSN: UInt32, streams: [UInt16])?

    var transmits = DrainQueue<[UInt8]>()
    var events = DrainQueue<SCTPEvent>()

    /// While paused no message is delivered: they wait, the window we advertise closes and the peer stops
    /// sending. This is how a slow consumer slows the remote sender instead of making us buffer without limit.
    /// Resuming delivers what waited and tells the peer the window is open again.
    public var isReceivePaused = false {
        didSet {
            guard oldValue, !isReceivePaused else { return }
            let waiting = held
            held.removeAll()
            for message in waiting {
                receiveBuffered -= message.data.count
                events.append(.message(stream: message.stream, ppid: message.ppid, data: message.data))
            }
            if state != .closed, state != .cookieWait, state != .cookieEchoed { sendSack() }
        }
    }

    public init(port: UInt16 = 5000, remotePort: UInt16 = 5000, maxReceiveMessageSize: Int = 4 << 20, maxSendMessageSize: Int = 65536, random: RandomSource = .system()) {
        localPort = port
        self.remotePort = remotePort
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.maxSendMessageSize = maxSendMessageSize
        receiveWindow = max(maxReceiveMessageSize, 1 << 20) * 2
        var generator = random  // a class: drawing through the copy moves the shared sequence on
        localTag = UInt32.random(in: 1...UInt32.max, using: &generator)
        initialTSN = UInt32.random(in: 0...UInt32.max, using: &generator)
        cookieSecret = generator.next()
        nextTSN = initialTSN
        nextResetRequest = initialTSN
    }

    /// Starts the association: sends INIT.
    public func connect(now: Duration) {
        guard state == .closed, handshakeRetransmissions == 0 else { return }
        state = .cookieWait
        sendInit()
        handshakeDeadline = now + rto
    }

    public var deadline: Duration? {
        [handshakeDeadline, retransmissionDeadline, ackDeadline, resetDeadline].compactMap { $0 }.min()
    }

    public func pollTransmit() -> [UInt8]? {
        transmits.popFirst()
    }

    public func pollEvent() -> SCTPEvent? {
        events.popFirst()
    }

    /// Queues one message; it goes out as soon as the congestion and receive windows let it.
    public func send(stream: UInt16, ppid: UInt32, data: [UInt8], unordered: Bool = false, now: Duration) throws(SCTPError) {
        guard state.acceptsData else { throw SCTPError.closed }
        guard data.count <= maxSendMessageSize else { throw SCTPError.messageTooLarge(size: data.count, limit: maxSendMessageSize) }
        // SCTP cannot send an empty message: a single zero byte stands in, with the "empty" PPID telling the peer.
        let payload = data.isEmpty ? [0] : data
        let message = OutboundMessage(stream: stream, ppid: ppid, unordered: unordered, data: payload)
        bufferedAmount += payload.count
        // A stream being reset takes new messages only once the reset is done: they start its numbering again.
        if streamsToReset.contains(stream) || resetInFlight?.streams.contains(stream) == true {
            waitingForReset.append(message)
            sendBlocked = true
            return
        }
        outbound.append(message)
        transmit(now: now)
        if outboundHead < outbound.count { sendBlocked = true }
    }

    /// Resets our outgoing stream once what was queued on it has gone: the data channel on it is closed (RFC 8831 §6.7).
    public func resetStream(_ stream: UInt16, now: Duration) {
        guard state.acceptsData, !streamsToReset.contains(stream) else { return }
        streamsToReset.append(stream)
        transmit(now: now)
    }

    /// Ends the association gracefully once everything sent has been acknowledged.
    public func shutdown(now: Duration) {
        switch state {
        case .established:
            state = .shutdownPending
            transmit(now: now)
        case .cookieWait, .cookieEchoed:
            state = .closed
            handshakeDeadline = nil
        default:
            break
        }
    }

    public func handleTimeout(now: Duration) {
        if let deadline = handshakeDeadline, now >= deadline { handshakeTimerFired(now: now) }
        if let deadline = retransmissionDeadline, now >= deadline { retransmissionTimerFired(now: now) }
        if let deadline = ackDeadline, now >= deadline {
            ackDeadline = nil
            sendSack()
        }
        if let deadline = resetDeadline, now >= deadline {
            resetDeadline = nil
            if let request = resetInFlight {
                sendPacket([.reconfig([outgoingResetRequest(request.request, streams: request.streams)])])
                resetDeadline = now + rto
            }
        }
        transmit(now: now)
    }

    public func receive(_ bytes: [UInt8], now: Duration) {
        guard state != .closed, let packet = SCTPPacket(parsing: bytes), packet.destinationPort == localPort else { return }
        guard acceptsTag(of: packet) else { return }
        var carriedData = false
        chunks: for chunk in packet.chunks {
            switch chunk {
            case .data(let data):
                carriedData = true
                receiveData(data)
            case .sack(let sack):
                handleSack(sack, now: now)
            case .initiation(let initiation):
                handleInit(initiation)
            case .initiationAck(let initiation, let cookie):
                handleInitAck(initiation, cookie: cookie, now: now)
            case .cookieEcho(let cookie):
                handleCookieEcho(cookie)
            case .cookieAck:
                if state == .cookieEchoed { becomeEstablished() }
            case .heartbeat(let info):
                sendPacket([.heartbeatAck(info: info)])
            case .heartbeatAck:
                break
            case .abort:
                close()
                return
            case .shutdown(let cumulativeTSN):
                handleShutdown(cumulativeTSN: cumulativeTSN, now: now)
            case .shutdownAck:
                if state == .shutdownSent || state == .shutdownAckSent {
                    sendPacket([.shutdownComplete])
                    close()
                    return
                }
            case .shutdownComplete:
                if state == .shutdownAckSent {
                    close()
                    return
                }
            case .reconfig(let parameters):
                handleReconfig(parameters, now: now)
            case .unknown(let type):
                // RFC 9260 §3.2: the type's high bit says whether to go on with the packet's other chunks.
                if type & 0x80 == 0 { break chunks }
            }
        }
        if carriedData { dataArrived(now: now) }
        transmit(now: now)
    }

    /// RFC 9260 §8.5: INIT comes with tag 0; ABORT and SHUTDOWN COMPLETE may carry the tag they answer (T bit);
    /// everything else carries ours.
    private func acceptsTag(of packet: SCTPPacket) -> Bool {
        guard let first = packet.chunks.first else { return false }
        switch first {
        case .initiation: return packet.verificationTag == 0 && packet.chunks.count == 1
        case .abort, .shutdownComplete: return packet.verificationTag == localTag || packet.verificationTag == peerTag
        default: return packet.verificationTag == localTag
        }
    }

    // MARK: Set-up and tear-down

    private func initiation() -> SCTPChunk.Initiation {
        SCTPChunk.Initiation(
            tag: localTag, receiverWindow: UInt32(clamping: receiveWindow), outboundStreams: Self.streamCount, inboundStreams: Self.streamCount,
            initialTSN: initialTSN)
    }

    private func sendInit() {
        var bytes = SCTPPacket.start(sourcePort: localPort, destinationPort: remotePort, verificationTag: 0, capacity: 64)
        SCTPChunk.initiation(initiation()).write(to: &bytes)
        seal(&bytes)
    }

    /// Our state cookie: what we need from the peer's INIT to set up when it echoes the cookie back. The DTLS
    /// underneath already authenticates the peer; the secret tells our cookie from a stale or foreign one.
    private func makeCookie(for initiation: SCTPChunk.Initiation) -> [UInt8] {
        var cookie: [UInt8] = []
        cookie.reserveCapacity(24)
        cookie.append(uint32: UInt32(truncatingIfNeeded: cookieSecret >> 32))
        cookie.append(uint32: UInt32(truncatingIfNeeded: cookieSecret))
        cookie.append(uint32: localTag)
        cookie.append(uint32: initiation.tag)
        cookie.append(uint32: initiation.initialTSN)
        cookie.append(uint32: initiation.receiverWindow)
        return cookie
    }

    private func handleInit(_ initiation: SCTPChunk.Initiation) {
        // An INIT while established would restart the association; WebRTC's peers never do, so it is ignored.
        guard state == .cookieWait || state == .cookieEchoed else { return }
        var bytes = SCTPPacket.start(sourcePort: localPort, destinationPort: remotePort, verificationTag: initiation.tag, capacity: 96)
        SCTPChunk.initiationAck(self.initiation(), cookie: makeCookie(for: initiation)).write(to: &bytes)
        seal(&bytes)
    }

    private func handleInitAck(_ initiation: SCTPChunk.Initiation, cookie: [UInt8], now: Duration) {
        guard state == .cookieWait else { return }
        adoptPeer(tag: initiation.tag, initialTSN: initiation.initialTSN, window: initiation.receiverWindow)
        state = .cookieEchoed
        cookieToEcho = cookie
        sendPacket([.cookieEcho(cookie: cookie[...])])
        handshakeRetransmissions = 0
        handshakeDeadline = now + rto
    }

    private func handleCookieEcho(_ cookie: ArraySlice<UInt8>) {
        let bytes = Array(cookie)
        guard bytes.count == 24, UInt64(bytes.uint32(at: 0)) << 32 | UInt64(bytes.uint32(at: 4)) == cookieSecret, bytes.uint32(at: 8) == localTag else { return }
        let tag = bytes.uint32(at: 12)
        switch state {
        case .cookieWait, .cookieEchoed:
            adoptPeer(tag: tag, initialTSN: bytes.uint32(at: 16), window: bytes.uint32(at: 20))
            sendPacket([.cookieAck])
            becomeEstablished()
        case .established where tag == peerTag:
            sendPacket([.cookieAck])  // our COOKIE ACK was lost
        default:
            break
        }
    }

    private func adoptPeer(tag: UInt32, initialTSN: UInt32, window: UInt32) {
        peerTag = tag
        cumulativeTSN = initialTSN &- 1
        peerNextResetRequest = initialTSN
        peerWindow = Int(window)
    }

    private func becomeEstablished() {
        state = .established
        handshakeDeadline = nil
        handshakeRetransmissions = 0
        cookieToEcho = nil
        events.append(.connected)
    }

    private func handshakeTimerFired(now: Duration) {
        handshakeRetransmissions += 1
        let limit = state == .cookieWait || state == .cookieEchoed ? Self.maxInitRetransmissions : Self.maxRetransmissions
        guard handshakeRetransmissions <= limit else {
            if state == .shutdownSent || state == .shutdownAckSent { close() } else { abort() }
            return
        }
        switch state {
        case .cookieWait: sendInit()
        case .cookieEchoed: if let cookieToEcho { sendPacket([.cookieEcho(cookie: cookieToEcho[...])]) }
        case .shutdownSent: sendPacket([.shutdown(cumulativeTSN: cumulativeTSN)])
        case .shutdownAckSent: sendPacket([.shutdownAck])
        default:
            handshakeDeadline = nil
            return
        }
        rto = min(rto * 2, Self.rtoMax)
        handshakeDeadline = now + rto
    }

    private func handleShutdown(cumulativeTSN acknowledged: UInt32, now: Duration) {
        guard state == .established || state == .shutdownPending || state == .shutdownReceived || state == .shutdownSent else { return }
        handleSack(SCTPChunk.SelectiveAck(cumulativeTSN: acknowledged, receiverWindow: UInt32(clamping: peerWindow + flightSize), gaps: [], duplicates: []), now: now)
        if state == .shutdownSent {
            // Both ends shut down at once (RFC 9260 §9.2).
            state = .shutdownAckSent
            sendPacket([.shutdownAck])
            handshakeDeadline = now + rto
        } else if state != .shutdownAckSent {
            state = .shutdownReceived
        }
    }

    /// Gives up on the peer: tells it so and reports the association closed.
    func abort() {
        if state != .closed, state != .cookieWait { sendPacket([.abort]) }
        close()
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        handshakeDeadline = nil
        retransmissionDeadline = nil
        ackDeadline = nil
        resetDeadline = nil
        events.append(.closed)
    }

    // MARK: Packets

    /// Sends `chunks` in one packet of their own.
    func sendPacket(_ chunks: [SCTPChunk]) {
        var bytes = SCTPPacket.start(sourcePort: localPort, destinationPort: remotePort, verificationTag: peerTag, capacity: 64)
        for chunk in chunks { chunk.write(to: &bytes) }
        seal(&bytes)
    }

    func seal(_ bytes: inout [UInt8]) {
        SCTPPacket.seal(&bytes)
        transmits.append(bytes)
    }

    func startPacket() -> [UInt8] {
        SCTPPacket.start(sourcePort: localPort, destinationPort: remotePort, verificationTag: peerTag, capacity: Self.maxPacketSize)
    }
}

extension SCTPAssociation.State {
    /// The states in which the peer may still send us data, and we it.
    var acceptsData: Bool {
        switch self {
        case .cookieWait, .cookieEchoed, .established: true
        case .closed, .shutdownPending, .shutdownReceived, .shutdownSent, .shutdownAckSent: false
        }
    }
}
