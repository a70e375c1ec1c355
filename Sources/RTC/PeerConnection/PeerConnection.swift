import DTLS
import DataChannel
import ICE
import SCTP
import SDP
import STUN
import SansIO

/// What a peer connection reports to its owner.
public enum PeerConnectionEvent: Sendable, Equatable {
    /// A local candidate to trickle to the peer (the `candidate` field of an `ice_candidate` message).
    case localCandidate(ICECandidate)
    case stateChanged(PeerConnectionState)
    case channelOpened(stream: UInt16, label: String)
    case message(stream: UInt16, DataChannelMessage)
    case channelClosed(stream: UInt16)
    case bufferedAmountLow
}

public enum PeerConnectionState: String, Sendable, Equatable {
    case new, connecting, connected, disconnected, failed, closed
}

public enum PeerConnectionError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDescription(String)
    case wrongState(String)
    case notConnected
    case dataChannel(DataChannelError)

    public var description: String {
        switch self {
        case .invalidDescription(let why): "remote description rejected: \(why)"
        case .wrongState(let why): "peer connection: \(why)"
        case .notConnected: "peer connection: not connected"
        case .dataChannel(let error): "data channel: \(error)"
        }
    }
}

/// A data-channel-only WebRTC peer connection, sans-IO: ICE → DTLS → SCTP → data channels.
///
/// The owner exchanges descriptions and candidates over signaling, registers its UDP sockets as local
/// host candidates, feeds received datagrams to `receive`, sends what `pollTransmit` yields, and calls
/// `handleTimeout` at `deadline`. For a TURN server over TCP or TLS it also opens the connections
/// `pollConnectionRequest` asks for, as sockets of their own. Each layer sees only the one below it.
///
/// Time is the caller's `now` throughout (ICE, SCTP's timers) and randomness comes from the
/// ``RandomSource`` it is given, so tests run it on a virtual clock; DTLS's handshake retransmissions
/// are the one exception (see ``DTLSEndpoint``).
public final class PeerConnection {
    public struct Configuration: Sendable {
        public var dtls: DTLSContext
        /// Largest message we accept, advertised as `a=max-message-size`.
        public var maxMessageSize = 4 << 20
        public var iceTiming = ICEAgent.Timing()
        /// STUN and TURN servers (`GET /api/config`'s `iceServers`); only literal IP addresses are used.
        /// TURN may be reached over UDP, TCP (`?transport=tcp`) or TLS (`turns:`).
        public var iceServers: [ICEServer] = []
        public var iceTransportPolicy = ICETransportPolicy.all

        public init(dtls: DTLSContext) {
            self.dtls = dtls
        }
    }

    public let configuration: Configuration
    private var random: RandomSource
    /// Ours until an ICE restart draws new ones.
    private var localCredentials: ICECredentials
    /// The `o=` line's session id, the same in every description we make; its version counts them (RFC 3264 §8).
    private let sessionID: UInt64
    private var sessionVersion: UInt64 = 1
    private var ice: ICEAgent?
    /// Connections to TURN servers no agent uses any more, for the owner to close.
    private var unusedConnections = DrainQueue<Int>()
    private var dtls: DTLSEndpoint?
    private var sctp: SCTPAssociation?
    private var channels: DataChannelEndpoint?
    private var isOfferer: Bool?
    private var localSockets: [(socket: Int, address: TransportAddress)] = []
    private var pendingRemoteCandidates: [ICECandidate] = []
    private var remoteDescription: DataChannelDescription?
    private var pendingChannels: [(stream: UInt16?, label: String)] = []
    public private(set) var state = PeerConnectionState.new
    private var events = DrainQueue<PeerConnectionEvent>()
    private var transmits = DrainQueue<ICETransmit>()
    private var lastNow: Duration = .zero
    public init(configuration: Configuration, random: RandomSource = .system()) {
        self.configuration = configuration
        var random = random
        localCredentials = .random(using: &random)
        sessionID = .random(in: 1..<(1 << 62), using: &random)
        self.random = random
    }

    // MARK: Signaling

    /// Our offer: `a=setup:actpass`, we become ICE controlling.
    public func createOffer(now: Duration) -> SessionDescription {
        isOfferer = true
        startICE(role: .controlling, now: now)
        return localDescription(setup: .actpass)
    }

    /// Our answer to the applied remote offer: we take `a=setup:active` (DTLS client), ICE controlled.
    public func createAnswer() throws(PeerConnectionError) -> SessionDescription {
        guard isOfferer == false else { throw .wrongState("createAnswer needs a remote offer first") }
        return localDescription(setup: .active)
    }

    public func setRemoteDescription(_ description: SessionDescription, now: Duration) throws(PeerConnectionError) {
        let remote: DataChannelDescription
        do {
            remote = try description.dataChannelDescription()
        } catch {
            throw .invalidDescription("\(error)")
        }
        guard let fingerprint = remote.fingerprints.first(where: { $0.algorithm.lowercased() == "sha-256" }) else {
            throw .invalidDescription("no sha-256 fingerprint")
        }
        if let current = remoteDescription {
            try renegotiate(remote, fingerprint: fingerprint, replacing: current, now: now)
            return
        }
        if isOfferer == nil {
            isOfferer = false
            startICE(role: .controlled, now: now)
        }
        remoteDescription = remote
        guard let ice else { return }
        ice.setRemoteCredentials(ICECredentials(ufrag: remote.iceUfrag, password: remote.icePwd), now: now)
        for candidate in remote.candidates + pendingRemoteCandidates { addToICE(candidate, now: now) }
        pendingRemoteCandidates.removeAll()

        // We always answer `active` (DTLS client); as the offerer, the remote answer's setup decides.
        let weAreClient = isOfferer == true ? remote.setup == .passive : true
        do {
            let endpoint = try DTLSEndpoint(
                role: weAreClient ? .client : .server, context: configuration.dtls,
                remoteFingerprint: DTLSFingerprint(algorithm: fingerprint.algorithm, bytes: fingerprint.digest))
            dtls = endpoint
            let association = SCTPAssociation(
                port: 5000, remotePort: remote.sctpPort, maxReceiveMessageSize: configuration.maxMessageSize,
                maxSendMessageSize: remote.maxMessageSize == 0 ? Int.max : Int(clamping: remote.maxMessageSize), random: random)
            sctp = association
            channels = DataChannelEndpoint(association: association, isDTLSClient: weAreClient)
        } catch {
            throw .invalidDescription("\(error)")
        }
        setState(.connecting)
    }

    /// A later description from the peer (RFC 3264 §8). The same certificate keeps DTLS and SCTP, so the channels
    /// stay open; new ICE credentials restart ICE (RFC 8445 §9): in an offer, ours are drawn anew too and our
    /// answer carries them; in the answer to our `restartICE` offer, they are what the new agent checks with.
    private func renegotiate(
        _ remote: DataChannelDescription, fingerprint: CertificateFingerprint, replacing current: DataChannelDescription, now: Duration
    ) throws(PeerConnectionError) {
        guard current.fingerprints.contains(where: { $0.algorithm.lowercased() == "sha-256" && $0.digest == fingerprint.digest }) else {
            throw .invalidDescription("the DTLS fingerprint changed: that takes a new connection")
        }
        guard let ice, state != .closed, state != .failed else { throw .wrongState("the connection has ended") }
        let credentials = ICECredentials(ufrag: remote.iceUfrag, password: remote.icePwd)
        if credentials != ice.remote {
            if isOfferer == false {
                replaceICE(role: ice.role, now: now)
            } else if ice.remote != nil {
                throw .invalidDescription("new ICE credentials in an answer to no restart")
            }
            self.ice?.setRemoteCredentials(credentials, now: now)
        }
        remoteDescription = remote
        for candidate in remote.candidates { addToICE(candidate, now: now) }
        pumpICE()
    }

    /// Restarts ICE over the same DTLS and SCTP (RFC 8445 §9), when the network path changed: new credentials,
    /// candidates gathered anew from the local sockets registered now, and an offer for the peer, whose answer
    /// goes to `setRemoteDescription`. The channels stay open; what is sent meanwhile waits in SCTP and goes
    /// out once the new pair is up; the state is `connecting` until then (on both sides). The side that made the first
    /// offer restarts (the answer keeps its DTLS role).
    public func restartICE(now: Duration) throws(PeerConnectionError) -> SessionDescription {
        guard isOfferer == true, remoteDescription != nil, let ice, state != .closed, state != .failed else {
            throw .wrongState("only the offerer of a negotiated, live connection restarts ICE")
        }
        replaceICE(role: ice.role, now: now)
        return localDescription(setup: .actpass)
    }

    /// Ends the current ICE agent (its last transmits, such as TURN deallocations, still go out) and starts a new
    /// one with new credentials over the current local sockets.
    private func replaceICE(role: ICERole, now: Duration) {
        ice?.close()
        pumpICE()
        let firstConnectionID = ice?.nextConnectionID ?? 0
        for socket in ice?.streamSockets ?? [] { unusedConnections.append(socket) }
        ice = nil
        if sctpConnected { setState(.connecting) }
        localCredentials = .random(using: &random)
        startICE(role: role, now: now, firstConnectionID: firstConnectionID)
    }

    /// A trickled remote candidate (`candidate:...` text); held until the remote description arrives.
    public func addRemoteCandidate(_ candidate: ICECandidate, now: Duration) {
        guard remoteDescription != nil else {
            pendingRemoteCandidates.append(candidate)
            return
        }
        addToICE(candidate, now: now)
    }

    private func addToICE(_ candidate: ICECandidate, now: Duration) {
        // Only UDP to literal addresses; mDNS names cannot be resolved here and are learned as
        // peer-reflexive candidates from the peer's checks instead.
        guard candidate.transport == .udp, candidate.component == 1, let ip = IPAddress(candidate.address) else { return }
        let kind = ICECandidateKind(rawValue: candidate.type.rawValue) ?? .host
        ice?.addRemoteCandidate(
            ICECandidateAddress(kind: kind, address: TransportAddress(ip: ip, port: candidate.port), priority: candidate.priority, foundation: candidate.foundation),
            now: now)
    }

    /// Registers a UDP socket as a host candidate; the candidates it yields (host, and server-reflexive
    /// and relay ones gathered through it) are announced as events, as the transport policy allows.
    public func addLocalSocket(_ socket: Int, address: TransportAddress, now: Duration) {
        localSockets.append((socket, address))
        ice?.addLocalCandidate(kind: .host, address: address, socket: socket, now: now)
        pumpICE()
    }

    /// Forgets a local socket whose address went away; the next ICE restart gathers without it.
    public func removeLocalSocket(_ socket: Int) {
        localSockets.removeAll { $0.socket == socket }
    }

    /// The next TCP or TLS connection to a TURN server to open (see ``TURNConnectionRequest``).
    public func pollConnectionRequest() -> TURNConnectionRequest? {
        ice?.pollConnectionRequest()
    }

    /// The connection for request `id` is open as `socket`; what arrives on it goes to `receive` one
    /// message at a time (``TURNStreamFraming``), from the server's address.
    public func connectionOpened(_ id: Int, socket: Int, now: Duration) {
        if ice?.connectionOpened(id, socket: socket, now: now) != true { unusedConnections.append(socket) }
        pumpICE()
    }

    /// A TCP or TLS connection to a TURN server that no ICE agent uses any more (an ICE restart replaced the agent
    /// that asked for it): the owner closes it once what is queued for it has been written.
    public func pollUnusedConnection() -> Int? {
        unusedConnections.popFirst()
    }

    public func connectionFailed(_ id: Int, now: Duration) {
        ice?.connectionFailed(id, now: now)
        pumpICE()
    }

    public func connectionClosed(socket: Int, now: Duration) {
        ice?.connectionClosed(socket: socket, now: now)
        pumpICE()
    }

    /// `firstConnectionID`: where the agent this one replaces left off (``ICEAgent/nextConnectionID``).
    private func startICE(role: ICERole, now: Duration, firstConnectionID: Int = 0) {
        guard ice == nil else { return }
        let agent = ICEAgent(
            role: role, local: localCredentials, timing: configuration.iceTiming, servers: configuration.iceServers,
            policy: configuration.iceTransportPolicy, random: random, firstConnectionID: firstConnectionID)
        ice = agent
        for (socket, address) in localSockets { agent.addLocalCandidate(kind: .host, address: address, socket: socket, now: now) }
        pumpICE()
    }

    /// How SDP writes one of our candidates.
    static func sdpCandidate(_ candidate: ICECandidateAddress) -> ICECandidate {
        ICECandidate(
            foundation: candidate.foundation, priority: candidate.priority, address: candidate.address.ip.description,
            port: candidate.address.port, type: ICECandidate.CandidateType(rawValue: candidate.kind.rawValue) ?? .host,
            relatedAddress: candidate.relatedAddress?.ip.description, relatedPort: candidate.relatedAddress?.port, generation: 0)
    }

    private func localDescription(setup: DTLSSetupRole) -> SessionDescription {
        let fingerprint = configuration.dtls.fingerprint
        let candidates = ice?.localCandidatesForSignaling.map(Self.sdpCandidate) ?? []
        let description = DataChannelDescription(
            iceUfrag: localCredentials.ufrag, icePwd: localCredentials.password,
            fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: fingerprint.bytes)], setup: setup,
            maxMessageSize: UInt64(configuration.maxMessageSize), candidates: candidates)
        defer { sessionVersion += 1 }
        return SessionDescription(dataChannel: description, sessionID: sessionID, sessionVersion: sessionVersion)
    }

    // MARK: Data channels

    /// Opens a data channel; before the connection is up it is opened as soon as SCTP connects.
    public func createDataChannel(label: String) {
        pendingChannels.append((nil, label))
        openPendingChannels()
    }

    public func send(_ message: DataChannelMessage, on stream: UInt16, now: Duration) throws(PeerConnectionError) {
        guard let channels, state == .connected else { throw .notConnected }
        lastNow = now
        do {
            try channels.send(message, on: stream, now: now)
        } catch {
            throw .dataChannel(error)
        }
        flushSCTP()
    }

    public func closeChannel(_ stream: UInt16, now: Duration) {
        lastNow = now
        channels?.close(stream: stream, now: now)
        flushSCTP()
    }

    public var bufferedAmount: Int { sctp?.bufferedAmount ?? 0 }

    /// Stops or resumes reading from the peer once SCTP exists, so a consumer that cannot keep up slows
    /// the remote sender (see `SCTPAssociation.isReceivePaused`). Resuming delivers what waited.
    public func setReceivePaused(_ paused: Bool) {
        sctp?.isReceivePaused = paused
        flushSCTP()
    }

    private func openPendingChannels() {
        guard let channels, sctpConnected else { return }
        for pending in pendingChannels { _ = try? channels.open(DataChannelParameters(label: pending.label), now: lastNow) }
        pendingChannels.removeAll()
        flushSCTP()
    }

    private var sctpConnected = false
    /// `close()` was called: the channels end without events.
    private var closingLocally = false

    // MARK: I/O

    public func receive(_ datagram: [UInt8], from source: TransportAddress, socket: Int, now: Duration) {
        lastNow = now
        guard let ice, let payload = ice.receive(datagram, from: source, socket: socket, now: now) else {
            pumpICE()
            return
        }
        pumpICE()
        guard let dtls else { return }
        dtls.receive(payload)
        pumpDTLS()
    }

    public func handleTimeout(now: Duration) {
        lastNow = now
        ice?.handleTimeout(now: now)
        pumpICE()
        if let dtls, dtls.timeout == .zero {
            dtls.handleTimeout()
            pumpDTLS()
        }
        if let sctp, let deadline = sctp.deadline, now >= deadline {
            sctp.handleTimeout(now: now)
            flushSCTP()
        }
    }

    public var deadline: Duration? {
        var candidates: [Duration] = []
        if let deadline = ice?.deadline { candidates.append(deadline) }
        if let timeout = dtls?.timeout { candidates.append(lastNow + timeout) }
        if dtls?.isConnected == true, let deadline = sctp?.deadline { candidates.append(deadline) }
        return candidates.min()
    }

    public func pollTransmit() -> ICETransmit? {
        transmits.popFirst()
    }

    public func pollEvent() -> PeerConnectionEvent? {
        events.popFirst()
    }

    /// Closes everything; the channels close with it, without `channelClosed` events (as `RTCPeerConnection.close()`).
    public func close() {
        closingLocally = true
        if let sctp { sctp.shutdown(now: lastNow) }
        flushSCTP()
        dtls?.close()
        pumpDTLS()
        ice?.close()
        pumpICE()
        setState(.closed)
    }

    private func pumpICE() {
        guard let ice else { return }
        while let transmit = ice.pollTransmit() { transmits.append(transmit) }
        while let event = ice.pollEvent() {
            switch event {
            case .stateChanged(.connected):
                if let dtls, !dtls.isConnected {
                    dtls.start()
                    pumpDTLS()
                } else if state == .disconnected || state == .connecting {
                    setState(.connected)  // consent is back, or a restart found the new path
                }
            case .stateChanged(.disconnected):
                if state == .connected { setState(.disconnected) }
            case .stateChanged(.failed):
                setState(.failed)
            case .localCandidate(let candidate):
                events.append(.localCandidate(Self.sdpCandidate(candidate)))
            case .stateChanged, .selectedPair:
                break
            }
        }
    }

    private func pumpDTLS() {
        guard let dtls else { return }
        pumpDTLSTransmits()
        while let event = dtls.pollEvent() {
            switch event {
            case .connected:
                sctp?.connect(now: lastNow)
                flushSCTP()
            case .applicationData(let packet):
                sctp?.receive(packet, now: lastNow)
                flushSCTP()
            case .closed:
                setState(.closed)
            case .failed:
                setState(.failed)
            }
        }
    }

    /// Moves SCTP's packets into DTLS and SCTP's events up to data channels.
    private func flushSCTP() {
        guard let sctp, let dtls, let channels else { return }
        sendSCTPPackets(sctp, over: dtls)
        while let event = sctp.pollEvent() {
            if event == .connected {
                sctpConnected = true
                setState(.connected)
                openPendingChannels()
            }
            if event == .closed { setState(.closed) }
            for channelEvent in channels.handle(event, now: lastNow) {
                switch channelEvent {
                case .opened(let stream, let parameters): events.append(.channelOpened(stream: stream, label: parameters.label))
                case .message(let stream, let message): events.append(.message(stream: stream, message))
                case .closed(let stream): events.append(.channelClosed(stream: stream))
                case .bufferedAmountLow: events.append(.bufferedAmountLow)
                }
            }
        }
        // Channel answers (ACKs, resets) produced above go out too.
        sendSCTPPackets(sctp, over: dtls)
    }

    /// Each SCTP packet becomes a DTLS record and goes straight on to ICE: DTLS holds only a few dozen records, and a
    /// congestion window's worth of packets is more.
    private func sendSCTPPackets(_ sctp: SCTPAssociation, over dtls: DTLSEndpoint) {
        guard dtls.isConnected else { return }
        while let packet = sctp.pollTransmit() {
            try? dtls.send(packet)
            pumpDTLSTransmits()
        }
    }

    private func pumpDTLSTransmits() {
        guard let dtls, let ice else { return }
        while let datagram = dtls.pollTransmit() {
            if let transmit = ice.send(datagram) { transmits.append(transmit) }
        }
    }

    private func setState(_ new: PeerConnectionState) {
        guard state != new, state != .closed else { return }
        // Ended by the peer or by a failure: every open channel reports its close first, as browsers do.
        if new == .closed || new == .failed, !closingLocally, let channels {
            for case .closed(let stream) in channels.handle(.closed, now: lastNow) { events.append(.channelClosed(stream: stream)) }
        }
        state = new
        events.append(.stateChanged(new))
    }
}
