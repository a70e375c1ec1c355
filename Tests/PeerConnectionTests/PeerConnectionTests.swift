import DTLS
import DataChannel
import ICE
import RTCTestSupport
import PeerConnection
import SDP
import STUN
import Testing

/// Two peer connections on a simulated network and a virtual clock, with seeded randomness: ICE, SCTP and the
/// link all run in simulated time, so seconds of consent checks and retransmissions take milliseconds. DTLS
/// handshake records are spared from loss, as OpenSSL retransmits them on the real clock (see `DTLSEndpoint`).
final class PeerPair {
    let offerer: PeerConnection
    let answerer: PeerConnection
    /// Where each side's one socket is; a test may move the offerer to another address and socket number, after
    /// which the link delivers only to and from the new one.
    var offererAddress = TransportAddress("127.0.0.1:40001")!
    var offererSocket = 0
    let answererAddress = TransportAddress("127.0.0.1:40002")!
    /// DTLS handshake records (content type 22) that crossed the link.
    var handshakeRecords = 0
    /// STUN Binding requests (connectivity and consent checks) each side sent.
    var offererChecks = 0
    var answererChecks = 0
    /// When each side reported `failed` (the clock may have jumped on before the pump's condition is checked).
    var offererFailedAt: Duration?
    var answererFailedAt: Duration?
    var offererEvents: [PeerConnectionEvent] = []
    var answererEvents: [PeerConnectionEvent] = []
    var link: LossyLink
    /// The offer as the answerer got it.
    var offer = SessionDescription(origin: SDPOrigin(sessionID: 0, sessionVersion: 0))
    let clock = VirtualClock()
    /// How often `pump` ran the offerer's `handleTimeout`: its timer wake-ups.
    var offererWakeups = 0

    var now: Duration { clock.now }

    init(seed: UInt64 = 1, dropRate: Double = 0, tamperFingerprint: Bool = false, iceTiming: ICEAgent.Timing = .init()) throws {
        var configuration = PeerConnection.Configuration(dtls: try DTLSContext())
        configuration.iceTiming = iceTiming
        offerer = PeerConnection(configuration: configuration, random: RandomSource(SplitMix64(seed: seed)))
        configuration.dtls = try DTLSContext()
        answerer = PeerConnection(configuration: configuration, random: RandomSource(SplitMix64(seed: seed &+ 1)))
        link = LossyLink(seed: seed, dropRate: dropRate)
        // DTLS records: change_cipher_spec 20, alert 21, handshake 22 (application data, SCTP's, is 23).
        link.spares = { datagram in datagram.first.map { (20...22).contains($0) } ?? false }
        offerer.addLocalSocket(0, address: offererAddress, now: now)
        answerer.addLocalSocket(0, address: answererAddress, now: now)
        offerer.createDataChannel(label: "mesh")
        offer = try SessionDescription(parsing: offerer.createOffer(now: now).serialized())
        if tamperFingerprint { offer.media[0].fingerprints[0].digest[0] ^= 0xFF }
        try answerer.setRemoteDescription(offer, now: now)
        let answer = try SessionDescription(parsing: try answerer.createAnswer().serialized())
        try offerer.setRemoteDescription(answer, now: now)
    }

    /// Runs the pair until `done`; `timeout` is virtual time. A round that moves datagrams takes 100 µs of the
    /// clock; an idle one jumps to the next deadline either connection has.
    func pump(timeout: Duration = .seconds(60), until done: (PeerPair) -> Bool) async throws {
        let deadline = clock.now + timeout
        while !done(self) {
            guard clock.now < deadline else { throw SCTPTestFailure("timed out: \(offererEvents) / \(answererEvents)") }
            var moved = false
            let sides = [
                (offerer, answerer, offererAddress, offererSocket, answererAddress, 0),
                (answerer, offerer, answererAddress, 0, offererAddress, offererSocket),
            ]
            for (from, to, fromAddress, fromSocket, toAddress, toSocket) in sides {
                while let transmit = from.pollTransmit() {
                    moved = true
                    if transmit.payload.starts(with: [0x00, 0x01]) {
                        if from === offerer { offererChecks += 1 } else { answererChecks += 1 }
                    }
                    // A socket that is gone, or an address nobody has any more: the datagram goes nowhere.
                    guard transmit.socket == fromSocket, transmit.destination == toAddress else { continue }
                    link.send(transmit.payload)
                    for datagram in link.deliver() {
                        if datagram.first == 22 { handshakeRecords += 1 }
                        to.receive(datagram, from: fromAddress, socket: toSocket, now: now)
                    }
                }
                while let event = from.pollEvent() {
                    if case .localCandidate(let candidate) = event {
                        to.addRemoteCandidate(candidate, now: now)
                    }
                    if from === offerer { offererEvents.append(event) } else { answererEvents.append(event) }
                    if event == .stateChanged(.failed) { if from === offerer { offererFailedAt = now } else { answererFailedAt = now } }
                }
            }
            for connection in [offerer, answerer] where (connection.deadline ?? .seconds(1 << 40)) <= now {
                if connection === offerer { offererWakeups += 1 }
                connection.handleTimeout(now: now)
            }
            // With no timer at all (both failed or closed), the clock still moves, in 10 ms steps.
            let next = [offerer.deadline, answerer.deadline].compactMap { $0 }.min() ?? now + .milliseconds(10)
            clock.advance(to: moved ? now + .microseconds(100) : max(next, now + .microseconds(100)))
        }
    }

    static func opened(_ events: [PeerConnectionEvent]) -> UInt16? {
        events.lazy.compactMap { if case .channelOpened(let stream, _) = $0 { stream } else { nil } }.first
    }

    static func messages(_ events: [PeerConnectionEvent]) -> [DataChannelMessage] {
        events.compactMap { if case .message(_, let message) = $0 { message } else { nil } }
    }
}

@Suite struct PeerConnectionTests {
    @Test func offerAnswerOpenExchangeClose() async throws {
        let pair = try PeerPair()
        try await pair.pump { PeerPair.opened($0.offererEvents) != nil && PeerPair.opened($0.answererEvents) != nil }
        #expect(pair.offerer.state == .connected)
        #expect(pair.answerer.state == .connected)
        let stream = try #require(PeerPair.opened(pair.offererEvents))
        #expect(pair.answererEvents.contains(.channelOpened(stream: stream, label: "mesh")))

        let outgoing: [DataChannelMessage] = [.text("hello"), .text(""), .binary([]), .binary([UInt8](repeating: 3, count: 256 * 1024))]
        for message in outgoing { try pair.offerer.send(message, on: stream, now: pair.now) }
        try pair.answerer.send(.text("back"), on: stream, now: pair.now)
        try await pair.pump { PeerPair.messages($0.answererEvents).count == outgoing.count && !PeerPair.messages($0.offererEvents).isEmpty }
        #expect(PeerPair.messages(pair.answererEvents) == outgoing)
        #expect(PeerPair.messages(pair.offererEvents) == [.text("back")])

        pair.offerer.closeChannel(stream, now: pair.now)
        try await pair.pump { $0.answererEvents.contains(.channelClosed(stream: stream)) }
    }

    @Test func aLostPeerClosesTheOpenChannelsBeforeTheConnectionFails() async throws {
        // RFC 7675's timing (consent every 5 s, failed after 8 s without an answer), in virtual time.
        let pair = try PeerPair()
        try await pair.pump { PeerPair.opened($0.offererEvents) != nil && PeerPair.opened($0.answererEvents) != nil }
        let stream = try #require(PeerPair.opened(pair.offererEvents))
        pair.link.dropRate = 1  // the peer vanishes: nothing gets through any more
        let vanishedAt = pair.now
        try await pair.pump { $0.offererEvents.contains(.stateChanged(.failed)) && $0.answererEvents.contains(.stateChanged(.failed)) }
        let failedAt = max(try #require(pair.offererFailedAt), try #require(pair.answererFailedAt))
        #expect(failedAt - vanishedAt <= .seconds(14), "consent lost after \(failedAt - vanishedAt)")
        let closed = try #require(pair.offererEvents.firstIndex(of: .channelClosed(stream: stream)))
        let failed = try #require(pair.offererEvents.firstIndex(of: .stateChanged(.failed)))
        #expect(closed < failed)
        #expect(pair.offererEvents.filter { $0 == .channelClosed(stream: stream) }.count == 1)

        // Closing on our side ends the channels quietly.
        let quiet = try PeerPair()
        try await quiet.pump { PeerPair.opened($0.offererEvents) != nil }
        quiet.offerer.close()
        while let event = quiet.offerer.pollEvent() { quiet.offererEvents.append(event) }
        #expect(quiet.offererEvents.last == .stateChanged(.closed))
        #expect(!quiet.offererEvents.contains { if case .channelClosed = $0 { true } else { false } })
    }

    @Test func survivesPacketLoss() async throws {
        let pair = try PeerPair(seed: 9, dropRate: 0.1)
        try await pair.pump { PeerPair.opened($0.offererEvents) != nil && PeerPair.opened($0.answererEvents) != nil }
        let stream = try #require(PeerPair.opened(pair.offererEvents))
        for n in 0..<50 { try pair.offerer.send(.text("m\(n)"), on: stream, now: pair.now) }
        try await pair.pump { PeerPair.messages($0.answererEvents).count == 50 }
        #expect(PeerPair.messages(pair.answererEvents) == (0..<50).map { .text("m\($0)") })
    }

    @Test func anIdleConnectionWakesOnlyForItsConsentChecks() async throws {
        let pair = try PeerPair()
        try await pair.pump { PeerPair.opened($0.offererEvents) != nil && PeerPair.opened($0.answererEvents) != nil }
        let stream = try #require(PeerPair.opened(pair.offererEvents))
        try pair.offerer.send(.text("last words"), on: stream, now: pair.now)
        try await pair.pump { PeerPair.messages($0.answererEvents).count == 1 }
        // The last acknowledgement settles; then 60 s at rest.
        let quietFrom = pair.now + .seconds(2)
        try await pair.pump { $0.now >= quietFrom }
        let wakeupsBefore = pair.offererWakeups
        let (offererChecks, answererChecks) = (pair.offererChecks, pair.answererChecks)
        try await pair.pump(timeout: .seconds(70)) { $0.now >= quietFrom + .seconds(60) }
        // A consent check every 5 s (RFC 7675), and no SCTP timer while nothing is in flight.
        #expect(pair.offererWakeups - wakeupsBefore <= 15, "\(pair.offererWakeups - wakeupsBefore) wake-ups in 60 s at rest")
        // Only the controlling side (the offerer) checks; the controlled side answers, and takes its checks as consent.
        #expect((11...13).contains(pair.offererChecks - offererChecks), "\(pair.offererChecks - offererChecks) checks from the offerer")
        #expect(pair.answererChecks == answererChecks, "\(pair.answererChecks - answererChecks) checks from the answerer")
        #expect(pair.answerer.state == .connected)
        #expect(pair.offerer.state == .connected)
        try pair.offerer.send(.text("still here"), on: stream, now: pair.now)
        try await pair.pump { PeerPair.messages($0.answererEvents).count == 2 }
    }

    @Test func anICERestartHandsTheTURNConnectionsNoAgentUsesAnyMoreToTheOwner() throws {
        var configuration = PeerConnection.Configuration(dtls: try DTLSContext())
        configuration.iceServers = [ICEServer(urls: ["turn:192.0.2.10:3478?transport=tcp"], username: "alice", credential: "secret")]
        let offerer = PeerConnection(configuration: configuration, random: RandomSource(SplitMix64(seed: 3)))
        let answerer = PeerConnection(configuration: PeerConnection.Configuration(dtls: try DTLSContext()), random: RandomSource(SplitMix64(seed: 4)))
        offerer.addLocalSocket(0, address: TransportAddress("10.0.0.1:4000")!, now: .zero)
        answerer.addLocalSocket(0, address: TransportAddress("10.0.0.2:4000")!, now: .zero)
        offerer.createDataChannel(label: "mesh")
        try answerer.setRemoteDescription(SessionDescription(parsing: offerer.createOffer(now: .zero).serialized()), now: .zero)
        try offerer.setRemoteDescription(SessionDescription(parsing: answerer.createAnswer().serialized()), now: .zero)

        // The first agent's connection to the TURN server opens as socket 1 and carries its allocation.
        let first = try #require(offerer.pollConnectionRequest())
        offerer.connectionOpened(first.id, socket: 1, now: .zero)
        #expect(offerer.pollUnusedConnection() == nil)
        // A restart replaces the agent: its connection is the owner's to close, and the new agent asks for its own.
        _ = try offerer.restartICE(now: .milliseconds(10))
        #expect(offerer.pollUnusedConnection() == 1)
        #expect(offerer.pollUnusedConnection() == nil)
        let second = try #require(offerer.pollConnectionRequest())
        #expect(second.id != first.id)
        // Replaced again before that connection opened: when it does, no agent takes it, though the newest asks
        // for a connection to the same server.
        _ = try offerer.restartICE(now: .milliseconds(20))
        let third = try #require(offerer.pollConnectionRequest())
        offerer.connectionOpened(second.id, socket: 2, now: .milliseconds(30))
        #expect(offerer.pollUnusedConnection() == 2)
        offerer.connectionOpened(third.id, socket: 3, now: .milliseconds(30))
        #expect(offerer.pollUnusedConnection() == nil)
    }

    @Test func anICERestartMovesTheConnectionToANewAddressAndKeepsItsChannel() async throws {
        let pair = try PeerPair()
        try await pair.pump { PeerPair.opened($0.offererEvents) != nil && PeerPair.opened($0.answererEvents) != nil }
        let stream = try #require(PeerPair.opened(pair.offererEvents))
        let firstOffer = pair.offer

        // The offerer's address changes: its old socket is gone, a new one has another address. Consent checks
        // go unanswered until the connection is disconnected (not failed: a restart can still save it).
        pair.offerer.removeLocalSocket(0)
        pair.offererAddress = TransportAddress("127.0.0.1:40003")!
        pair.offererSocket = 1
        pair.offerer.addLocalSocket(1, address: pair.offererAddress, now: pair.now)
        try await pair.pump { $0.offerer.state == .disconnected }
        let handshakesBefore = pair.handshakeRecords

        let restart = try pair.offerer.restartICE(now: pair.now)
        #expect(restart.origin.sessionID == firstOffer.origin.sessionID)
        #expect(restart.origin.sessionVersion > firstOffer.origin.sessionVersion)
        let restartICE = try restart.dataChannelDescription()
        #expect(try restartICE.iceUfrag != firstOffer.dataChannelDescription().iceUfrag)
        #expect(restartICE.candidates.map(\.port) == [40003])
        try pair.answerer.setRemoteDescription(SessionDescription(parsing: restart.serialized()), now: pair.now)
        let answer = try pair.answerer.createAnswer()
        try pair.offerer.setRemoteDescription(SessionDescription(parsing: answer.serialized()), now: pair.now)

        // Back on the new path. (A message sent during the move is the netns test's part, in Tests/e2e.)
        try await pair.pump { $0.offerer.state == .connected && $0.answerer.state == .connected }
        try pair.offerer.send(.text("over the new path"), on: stream, now: pair.now)
        try await pair.pump { PeerPair.messages($0.answererEvents) == [.text("over the new path")] }
        try pair.answerer.send(.text("and back"), on: stream, now: pair.now)
        try await pair.pump { PeerPair.messages($0.offererEvents) == [.text("and back")] }
        // The same DTLS session and SCTP association: no handshake, no second channel, nothing closed.
        #expect(pair.handshakeRecords == handshakesBefore)
        for events in [pair.offererEvents, pair.answererEvents] {
            #expect(events.filter { if case .channelOpened = $0 { true } else { false } }.count == 1)
            #expect(!events.contains { if case .channelClosed = $0 { true } else { false } })
        }
        #expect(pair.offererEvents.filter { $0 == .stateChanged(.connected) }.count == 2)

        // A later description with another certificate is refused: that would be a new connection.
        var stranger = try SessionDescription(parsing: pair.offerer.restartICE(now: pair.now).serialized())
        stranger.media[0].fingerprints[0].digest[0] ^= 0xFF
        #expect(throws: PeerConnectionError.self) { try pair.answerer.setRemoteDescription(stranger, now: pair.now) }
        #expect(throws: PeerConnectionError.self) { try pair.answerer.restartICE(now: pair.now) }
    }

    @Test func aTamperedFingerprintNeverConnects() async throws {
        let pair = try PeerPair(tamperFingerprint: true)
        try await pair.pump { $0.answerer.state == .failed }
        #expect(PeerPair.opened(pair.answererEvents) == nil)
        #expect(pair.answerer.state == .failed)
    }

    @Test func relayOnlyNeverRevealsHostsAndFailsWithoutItsTURNServer() throws {
        var configuration = PeerConnection.Configuration(dtls: try DTLSContext())
        configuration.iceServers = [ICEServer(urls: ["turn:192.0.2.10:3478?transport=udp"], username: "u", credential: "p")]
        configuration.iceTransportPolicy = .relay
        let connection = PeerConnection(configuration: configuration)
        connection.addLocalSocket(0, address: TransportAddress("127.0.0.1:40003")!, now: .zero)
        let offer = connection.createOffer(now: .zero).serialized()
        #expect(!offer.contains("a=candidate"))
        // Nobody answers the Allocate requests: virtual time runs to the TURN client's give-up.
        var now = Duration.zero
        var events: [PeerConnectionEvent] = []
        var allocateRequests = 0
        while connection.state != .failed, now < .seconds(60) {
            while let transmit = connection.pollTransmit() {
                #expect(transmit.destination == TransportAddress("192.0.2.10:3478")!)
                allocateRequests += 1
            }
            while let event = connection.pollEvent() { events.append(event) }
            guard let deadline = connection.deadline else { break }
            now = max(now, deadline)
            connection.handleTimeout(now: now)
        }
        while let event = connection.pollEvent() { events.append(event) }
        #expect(connection.state == .failed)
        #expect(now <= .seconds(10))
        #expect(allocateRequests == 6)
        #expect(events == [.stateChanged(.failed)])
    }

    @Test func aSeedGivesTheSameCredentialsAndSessionAndAnotherSeedOthers() throws {
        let dtls = try DTLSContext()
        func offer(seed: UInt64) -> String {
            let connection = PeerConnection(configuration: .init(dtls: dtls), random: RandomSource(SplitMix64(seed: seed)))
            connection.addLocalSocket(0, address: TransportAddress("127.0.0.1:40004")!, now: .zero)
            return connection.createOffer(now: .zero).serialized()
        }
        #expect(offer(seed: 5) == offer(seed: 5))
        #expect(offer(seed: 5) != offer(seed: 6))
        #expect(offer(seed: 5).contains("a=ice-ufrag:"))
    }

    @Test func rejectsDescriptionsWithoutADataChannel() throws {
        let connection = PeerConnection(configuration: .init(dtls: try DTLSContext()))
        let audioOnly = try SessionDescription(parsing: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n")
        #expect(throws: PeerConnectionError.self) { try connection.setRemoteDescription(audioOnly, now: .zero) }
    }
}

