import Logging
import MeshProtocol
import PeerConnection
import RTCTransport

/// The sidecar's peer table: one WebRTC connection with a `mesh` DataChannel to every other sidecar.
///
/// Who connects to whom, glare and retries are `MeshPolicy`'s decisions; this actor carries them out with
/// drivers and signaling frames, feeds it what happens, and runs its one timer. The messages themselves never pass
/// through it: the `DataPlane` moves them between the agent and the open channels on the drivers' loop.
///
/// Transport: one UDP socket per peer connection (see `PeerConnectionDriver`), chosen over one shared
/// socket demultiplexed by ICE ufrag because each connection then owns its socket outright, a broken
/// or hostile peer can only ever disturb its own socket, and the cost (a port per peer) is small.
actor Mesh {
    let selfId: String
    let signaling: SignalingClient
    private let dtls: DTLSContext
    /// Checks `turns:` servers: the system trust store plus `CA_FILE`, as for the registry.
    private let turnTrust: TURNTrust
    /// The addresses to bind ICE host candidates on, as they are now (configured, or the machine's own).
    private let hostAddresses: @Sendable () -> [String]
    /// What `hostAddresses` gave last: a change restarts ICE.
    private(set) var knownHosts: [String]
    /// A pending look at the addresses after the kernel reported a change.
    private var addressCheck: Task<Void, Never>?
    private let transportPolicy: ICETransportPolicy
    private let fetchICEServers: @Sendable () async -> [ICEServer]
    /// STUN/TURN servers for new connections, refreshed on every signaling connect.
    private var iceServers: [ICEServer] = []
    /// The fetch of `iceServers` under way since signaling last connected.
    var iceRefresh: Task<Void, Never>?
    var logger: Logger

    var policy: MeshPolicy
    /// The links the policy knows of, with their drivers.
    var links: [String: PeerLink] = [:]
    /// Candidates that arrived before any connection to their sender existed.
    var earlyCandidates: [String: [ICECandidate]] = [:]
    private let clockOrigin = ContinuousClock.now
    private var timer: Task<Void, Never>?
    /// The policy deadline `timer` fires at.
    private var timerDeadline: Duration?
    /// Where the open links' messages go to and come from the agent; the links' drivers run on its loop.
    let dataPlane: DataPlane

    init(
        selfId: String, signaling: SignalingClient, dtls: DTLSContext, turnTrust: TURNTrust, hostAddresses: @escaping @Sendable () -> [String],
        policy: ICETransportPolicy, iceServers: @escaping @Sendable () async -> [ICEServer], dataPlane: DataPlane, logger: Logger
    ) {
        self.selfId = selfId
        self.signaling = signaling
        self.dtls = dtls
        self.turnTrust = turnTrust
        self.hostAddresses = hostAddresses
        knownHosts = hostAddresses()
        transportPolicy = policy
        fetchICEServers = iceServers
        self.policy = MeshPolicy(selfId: selfId)
        self.dataPlane = dataPlane
        var logger = logger
        logger[metadataKey: "peer_id"] = "\(selfId)"
        self.logger = logger
    }

    /// Follows signaling until it ends.
    func run() async {
        for await event in signaling.events {
            await handle(event)
        }
    }

    /// Closes every connection (SCTP shutdown, so peers learn at once rather than by timeout).
    func shutdown() async {
        timer?.cancel()
        timer = nil
        let drivers = links.values.map(\.driver)
        for link in links.values { link.eventTask?.cancel() }
        links.removeAll()
        for driver in drivers { await driver.close() }
    }

    var openPeers: [String] { links.values.filter(\.isOpen).map(\.remote).sorted() }

    var now: Duration { ContinuousClock.now - clockOrigin }

    // MARK: Carrying out the policy

    /// Does what the policy decided, in order; `offer` is the description an `.answer` answers.
    func perform(_ actions: [MeshPolicy.Action], answering offer: SessionDescription? = nil) async {
        for action in actions {
            switch action {
            case .offer(let remote, let generation):
                await startLink(to: remote, generation: generation, answering: nil)
            case .answer(let remote, let generation):
                if let offer { await startLink(to: remote, generation: generation, answering: offer) }
            case .drop(let remote, let generation, let wasOpen, let reason):
                close(remote, generation: generation, wasOpen: wasOpen, reason: reason)
            case .reportStatus:
                reportMeshStatus()
            case .restartICE(let remote, let generation):
                await restartLink(remote, generation: generation, answering: nil)
            case .answerRestart(let remote, let generation):
                if let offer { await restartLink(remote, generation: generation, answering: offer) }
            }
        }
        armTimer()
    }

    /// One timer for the whole mesh, at the policy's deadline.
    func armTimer() {
        let deadline = policy.deadline
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = deadline
        guard let deadline else {
            timer = nil
            return
        }
        let fireAt = clockOrigin + deadline
        timer = Task { [weak self] in
            try? await Task.sleep(until: fireAt, clock: .continuous)
            guard !Task.isCancelled else { return }
            await self?.timerFired(deadline)
        }
    }

    private func timerFired(_ deadline: Duration) async {
        guard timerDeadline == deadline else { return }  // re-armed meanwhile
        timerDeadline = nil
        timer = nil
        await perform(policy.handleTimeout(now: now))
    }

    /// The link ended; with `retry` the policy tries the peer again later.
    func linkEnded(_ link: PeerLink, reason: String, retry: Bool) async {
        await perform(policy.linkEnded(link.remote, generation: link.generation, reason: reason, retry: retry, now: now))
    }

    // MARK: Link lifecycle

    /// The connection numbered `generation` to `remote`, with its sockets bound.
    func makeLink(to remote: String, generation: UInt64, role: MeshPolicy.Role) async throws -> PeerLink {
        await iceRefresh?.value
        var configuration = PeerConnection.Configuration(dtls: dtls)
        configuration.iceServers = iceServers
        configuration.iceTransportPolicy = transportPolicy
        let dataPlane = self.dataPlane
        let driver = PeerConnectionDriver(
            configuration: configuration, turnTrust: turnTrust,
            events: .onLoop { batch in dataPlane.linkEvents(batch, remote: remote, generation: generation) }, loop: dataPlane.loop,
            busyPollLimit: dataPlane.busyPollLimit)
        let link = PeerLink(remote: remote, generation: generation, role: role, driver: driver)
        links[remote] = link
        // The data plane keeps the messages and passes the rest on. Its route exists before the sockets are bound
        // below (the loop runs its tasks in order), so it sees every event.
        let (control, controlSink) = AsyncStream<[PeerConnectionEvent]>.makeStream()
        dataPlane.loop.execute { dataPlane.addRoute(to: remote, generation: generation, driver: driver, control: controlSink) }
        link.eventTask = Task { [weak self] in
            for await batch in control {
                await self?.linkEvents(batch, remote: remote, generation: generation)
            }
        }
        for host in knownHosts { _ = try await driver.bind(host: host) }
        logger.debug("connecting", metadata: ["remote": "\(remote)", "role": "\(role.rawValue)"])
        return link
    }

    /// Our description for `link` is out: release the candidates held back until now; the attempt's clock runs.
    func descriptionSent(for link: PeerLink) {
        link.descriptionSent = true
        for candidate in link.heldCandidates { sendCandidate(candidate, to: link.remote) }
        link.heldCandidates.removeAll()
        policy.descriptionSent(to: link.remote, generation: link.generation, now: now)
        armTimer()
    }

    /// Closes link `generation` to `remote`; the agent hears `peer_disconnected` once if its channel was open (from the
    /// data plane, after the link's last message).
    private func close(_ remote: String, generation: UInt64, wasOpen: Bool, reason: String) {
        guard let link = links[remote], link.generation == generation else { return }
        links[remote] = nil
        link.eventTask?.cancel()
        let driver = link.driver, dataPlane = self.dataPlane
        dataPlane.loop.execute { dataPlane.removeRoute(to: remote, generation: generation) }
        Task { await driver.close() }
        if wasOpen {
            logger.warning("peer disconnected", metadata: ["remote": "\(remote)", "reason": "\(reason)"])
        } else if reason == MeshPolicy.attemptTimedOut {
            logger.warning("connection attempt timed out", metadata: ["remote": "\(remote)"])
        } else {
            logger.debug("connection attempt dropped", metadata: ["remote": "\(remote)", "reason": "\(reason)"])
        }
    }

    private func linkEvents(_ batch: [PeerConnectionEvent], remote: String, generation: UInt64) async {
        for event in batch {
            guard let link = links[remote], link.generation == generation else { return }
            await linkEvent(event, on: link)
        }
    }

    private func linkEvent(_ event: PeerConnectionEvent, on link: PeerLink) async {
        let remote = link.remote
        switch event {
        case .localCandidate(let candidate):
            if link.descriptionSent { sendCandidate(candidate, to: remote) } else { link.heldCandidates.append(candidate) }
        case .channelOpened(let stream, let label):
            guard link.stream == nil else { return }
            link.stream = stream
            logger.info("DataChannel open", metadata: ["remote": "\(remote)", "label": "\(label)"])
            await perform(policy.linkOpened(remote, generation: link.generation))
        case .channelClosed(let stream):
            guard stream == link.stream else { return }
            await linkEnded(link, reason: "the DataChannel closed (by the peer, or with the connection)", retry: true)
        case .stateChanged(.failed), .stateChanged(.closed):
            await linkEnded(link, reason: "connection \(event == .stateChanged(.failed) ? "failed" : "closed")", retry: true)
        case .stateChanged(.disconnected):
            logger.info("peer not answering consent checks", metadata: ["remote": "\(remote)"])
            await perform(policy.linkDisconnected(remote, generation: link.generation, now: now))
        case .stateChanged(.connected) where link.isOpen:
            let restarted = policy.linkReconnected(remote, generation: link.generation)
            logger.info(restarted ? "connection back (ICE restarted)" : "peer answering consent checks again", metadata: ["remote": "\(remote)"])
            armTimer()
        case .stateChanged, .message, .bufferedAmountLow:  // the last two stay on the data plane
            break
        }
    }

    /// The machine's addresses may have changed (the kernel said so). They are read once they have settled (a move
    /// is a removal and an addition, and their routes); if they did change, the links we offered restart ICE from the
    /// new ones, and signaling, whose connection may have left from a vanished address, reconnects.
    func addressesMayHaveChanged() {
        guard addressCheck == nil else { return }
        addressCheck = Task { [weak self] in
            try? await Task.sleep(for: Self.addressSettling)
            await self?.checkAddresses()
        }
    }

    static let addressSettling: Duration = .milliseconds(500)

    private func checkAddresses() async {
        addressCheck = nil
        let hosts = hostAddresses()
        guard hosts != knownHosts else { return }
        let lost = Set(knownHosts).subtracting(hosts)
        logger.notice("local addresses changed", metadata: ["hosts": "\(hosts.joined(separator: ","))", "gone": "\(lost.sorted().joined(separator: ","))"])
        knownHosts = hosts
        if !lost.isEmpty {
            // Signaling may have left from a vanished address: restarts wait for the new connection.
            signaling.reconnect()
            policy.signalingDisconnected()
        }
        await perform(policy.addressesChanged(now: now))
    }

    func refreshICEServers() async {
        iceServers = await fetchICEServers()
        if transportPolicy == .relay && !iceServers.contains(where: { $0.urls.contains { $0.hasPrefix("turn:") } }) {
            logger.error("ICE_TRANSPORT_POLICY=relay but no TURN server is configured: connections will fail")
        }
    }

    // MARK: Reports

    func reportMeshStatus() {
        guard policy.signalingUp else { return }
        signaling.send(SignalingMessage(peerId: selfId, .meshStatus(connectedPeers: openPeers)))
    }
}
