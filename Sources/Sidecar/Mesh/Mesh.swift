import Logging
import MeshProtocol
import PeerConnection
import RTCTransport

/// The sidecar's peer table: one WebRTC connection with a `mesh` DataChannel to every other sidecar.
///
/// Rules (CONTRACT.md §3): whoever receives `peer_list` offers to each listed peer it has no
/// connection to; simultaneous offers resolve so the smaller peer_id keeps its offer; a connection
/// that fails or never opens is retried with backoff while the peer is on signaling; signaling gaps
/// never close open DataChannels.
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
    private let hostAddresses: [String]
    private let policy: ICETransportPolicy
    private let fetchICEServers: @Sendable () async -> [ICEServer]
    /// STUN/TURN servers for new connections, refreshed on every signaling connect.
    private var iceServers: [ICEServer] = []
    var logger: Logger

    var links: [String: PeerLink] = [:]
    /// Peers the registry says are on signaling now (from `peer_list`, `peer_joined`, `peer_left`).
    var present: Set<String> = []
    var signalingUp = false
    /// Candidates that arrived before any connection to their sender existed.
    var earlyCandidates: [String: [ICECandidate]] = [:]
    private var retryBackoff: [String: Backoff] = [:]
    private var retryTasks: [String: Task<Void, Never>] = [:]
    private var nextGeneration: UInt64 = 0
    var session: IPCSession?
    /// Messages that arrived while no agent was attached (for example while it restarts its sidecar
    /// connection), handed over when one attaches; bounded by `maxHeldBytes`.
    var heldForAgent: [IPCEvent] = []
    var heldBytes = 0
    static let maxHeldBytes = 16 << 20
    /// Whether open links are paused because the agent (or the held messages) is backlogged.
    var peersPaused = false
    var caughtUpTask: Task<Void, Never>?

    /// A connection attempt that has not opened its DataChannel by then is abandoned and retried.
    static let attemptTimeout: Duration = .seconds(15)

    init(
        selfId: String, signaling: SignalingClient, dtls: DTLSContext, turnTrust: TURNTrust, hostAddresses: [String],
        policy: ICETransportPolicy, iceServers: @escaping @Sendable () async -> [ICEServer], logger: Logger
    ) {
        self.selfId = selfId
        self.signaling = signaling
        self.dtls = dtls
        self.turnTrust = turnTrust
        self.hostAddresses = hostAddresses
        self.policy = policy
        fetchICEServers = iceServers
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
        for task in retryTasks.values { task.cancel() }
        retryTasks.removeAll()
        let drivers = links.values.map(\.driver)
        for link in links.values { link.eventTask?.cancel() }
        links.removeAll()
        for driver in drivers { await driver.close() }
    }

    var openPeers: [String] { links.values.filter(\.isOpen).map(\.remote).sorted() }

    // MARK: Link lifecycle

    /// A new connection to `remote`, replacing any previous one, with its sockets bound.
    func makeLink(to remote: String, role: PeerLink.Role) async throws -> PeerLink {
        if let previous = links[remote] { drop(previous, reason: "replaced by a new connection") }
        nextGeneration += 1
        let generation = nextGeneration
        var configuration = PeerConnection.Configuration(dtls: dtls)
        configuration.iceServers = iceServers
        configuration.iceTransportPolicy = policy
        let driver = PeerConnectionDriver(configuration: configuration, turnTrust: turnTrust)
        let link = PeerLink(remote: remote, generation: generation, role: role, driver: driver)
        links[remote] = link
        link.eventTask = Task { [weak self] in
            for await batch in driver.events {
                await self?.linkEvents(batch, remote: remote, generation: generation)
            }
        }
        for host in hostAddresses { _ = try await driver.bind(host: host) }
        logger.debug("connecting", metadata: ["remote": "\(remote)", "role": "\(role.rawValue)"])
        return link
    }

    /// Our description for `link` is out: release the candidates held back until now.
    func descriptionSent(for link: PeerLink) {
        link.descriptionSent = true
        for candidate in link.heldCandidates { sendCandidate(candidate, to: link.remote) }
        link.heldCandidates.removeAll()
        let generation = link.generation, remote = link.remote
        Task { [weak self] in
            try? await Task.sleep(for: Self.attemptTimeout)
            await self?.attemptExpired(remote: remote, generation: generation)
        }
    }

    private func attemptExpired(remote: String, generation: UInt64) {
        guard let link = links[remote], link.generation == generation, !link.isOpen else { return }
        logger.warning("connection attempt timed out", metadata: ["remote": "\(remote)"])
        drop(link, reason: "attempt timed out")
        scheduleRetry(remote)
    }

    /// Forgets `link` and closes it; the agent hears `peer_disconnected` once if its channel was open.
    func drop(_ link: PeerLink, reason: String) {
        guard links[link.remote] === link else { return }
        links[link.remote] = nil
        link.eventTask?.cancel()
        link.releaseSenders()
        let driver = link.driver
        Task { await driver.close() }
        if link.isOpen {
            logger.warning("peer disconnected", metadata: ["remote": "\(link.remote)", "reason": "\(reason)"])
            session?.deliver(.peerDisconnected(link.remote))
            reportMeshStatus()
        } else {
            logger.debug("connection attempt dropped", metadata: ["remote": "\(link.remote)", "reason": "\(reason)"])
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
            retryBackoff[remote] = nil
            logger.info("DataChannel open", metadata: ["remote": "\(remote)", "label": "\(label)"])
            if peersPaused { link.driver.setReceivePaused(true) }
            session?.deliver(.peerConnected(remote))
            reportMeshStatus()
        case .message(let stream, let message):
            guard stream == link.stream else { return }
            await received(message, from: link)
        case .channelClosed(let stream):
            guard stream == link.stream else { return }
            drop(link, reason: "the DataChannel closed (by the peer, or with the connection)")
            scheduleRetry(remote)
        case .stateChanged(.failed), .stateChanged(.closed):
            drop(link, reason: "connection \(event == .stateChanged(.failed) ? "failed" : "closed")")
            scheduleRetry(remote)
        case .stateChanged(.disconnected):
            logger.info("peer not answering consent checks", metadata: ["remote": "\(remote)"])
        case .bufferedAmountLow:
            link.releaseSenders()
        case .stateChanged:
            break
        }
    }

    func refreshICEServers() async {
        iceServers = await fetchICEServers()
        if policy == .relay && !iceServers.contains(where: { $0.urls.contains { $0.hasPrefix("turn:") } }) {
            logger.error("ICE_TRANSPORT_POLICY=relay but no TURN server is configured: connections will fail")
        }
    }

    // MARK: Retries

    /// Tries `remote` again after a jittered, growing wait, as long as it is still on signaling.
    func scheduleRetry(_ remote: String) {
        guard signalingUp, present.contains(remote), retryTasks[remote] == nil else { return }
        var backoff = retryBackoff[remote] ?? Backoff(initial: .seconds(1), maximum: .seconds(30))
        let wait = backoff.next()
        retryBackoff[remote] = backoff
        retryTasks[remote] = Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.retry(remote)
        }
    }

    private func retry(_ remote: String) async {
        retryTasks[remote] = nil
        guard signalingUp, present.contains(remote), links[remote] == nil else { return }
        await offer(to: remote)
    }

    func cancelRetry(_ remote: String) {
        retryTasks.removeValue(forKey: remote)?.cancel()
        retryBackoff[remote] = nil
    }

    // MARK: Reports

    func reportMeshStatus() {
        guard signalingUp else { return }
        signaling.send(SignalingMessage(peerId: selfId, .meshStatus(connectedPeers: openPeers)))
    }
}
