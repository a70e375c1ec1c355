import SansIO
import STUN
import TURN

public enum ICERole: Sendable, Equatable {
    case controlling, controlled
}

public enum ICEConnectionState: String, Sendable, Equatable {
    case new, checking, connected, disconnected, failed, closed
}

/// The ufrag and password of one side (RFC 8445 §5.3): at least 4 and 22 characters.
public struct ICECredentials: Sendable, Hashable {
    public var ufrag: String
    public var password: String

    public init(ufrag: String, password: String) {
        self.ufrag = ufrag
        self.password = password
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> ICECredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func string(_ count: Int) -> String { String((0..<count).map { _ in alphabet.randomElement(using: &generator)! }) }
        return ICECredentials(ufrag: string(8), password: string(24))
    }
}

/// A datagram to send: from which local socket, to where.
public struct ICETransmit: Sendable, Equatable {
    public var socket: Int
    public var destination: TransportAddress
    public var payload: [UInt8]
}

public enum ICEEvent: Sendable, Equatable {
    case stateChanged(ICEConnectionState)
    case selectedPair(local: ICELocalCandidate, remote: ICECandidateAddress)
    /// A candidate to trickle to the peer: host ones as they are added, server-reflexive and relay
    /// ones as they are gathered; only relay ones under the `relay` policy.
    case localCandidate(ICECandidateAddress)
}

/// A sans-IO ICE agent (RFC 8445) for one component over UDP, with trickle (RFC 8838) and consent
/// freshness (RFC 7675).
///
/// The shell owns the sockets: it registers each host candidate with the socket it lives on, feeds every
/// received datagram to `receive`, sends what `pollTransmit` yields, and calls `handleTimeout` at
/// `deadline`. Time is a monotonic `Duration` supplied by the caller, so tests run on a virtual clock.
///
/// With STUN and TURN servers configured, each host candidate also gathers a server-reflexive candidate
/// (STUN Binding) and a relay candidate (a ``TURNClient`` allocation). The servers are reached from the
/// host candidate's own socket, so the shell needs no extra sockets: their traffic is just more transmits.
public final class ICEAgent {
    public struct Timing: Sendable {
        /// Pacing between new connectivity checks (RFC 8445 Ta).
        public var checkInterval: Duration = .milliseconds(20)
        public var initialRetransmit: Duration = .milliseconds(250)
        public var maxRetransmits = 6
        /// How long the controlling side waits after the first success for better pairs before nominating
        /// (it nominates at once when no better pair is left to check).
        public var nominationDelay: Duration = .milliseconds(50)
        /// RFC 7675's 5 s: an idle mesh's cost is mostly consent checks. A lost check is retransmitted within
        /// the interval, so detection still comes from `failedAfter`.
        public var consentInterval: Duration = .seconds(5)
        /// The controlled side's own checks wait this much longer: the controlling side's checks, which are
        /// authenticated with the session's credentials, already show the peer is there, so while they keep
        /// coming only one side of a connection sends consent checks (half the datagrams of an idle mesh).
        public var controlledConsentDelay: Duration = .milliseconds(500)
        /// No consent response for this long: disconnected (traffic may still come back). Past the interval,
        /// so that it means the last check went unanswered.
        public var disconnectedAfter: Duration = .seconds(6)
        /// No consent response for this long: failed (the peer is gone).
        public var failedAfter: Duration = .seconds(8)
        /// Checking that has not connected after this long fails.
        public var checkingTimeout: Duration = .seconds(30)
        /// Binding requests to STUN servers.
        public var stunRetransmit = STUNRetransmitSchedule()
        public var turn = TURNClient.Timing()

        public init() {}
    }

    /// A TURN server we may allocate on, from a `turn:` or `turns:` URL with credentials.
    private struct TURNServer {
        let address: TransportAddress
        let name: String
        let transport: ICEServerURL.Transport
        let username: String
        let password: String
    }

    /// One allocation, made from the host candidate on `socket` or over the TCP or TLS stream that is `socket`.
    private struct Relay {
        let socket: Int
        let client: TURNClient
        let transport: ICEServerURL.Transport
        var candidate: ICELocalCandidate?
    }

    private struct Transaction {
        let pair: ICECandidatePair.Key
        let request: [UInt8]
        var deadline: Duration
        var interval: Duration
        var retransmits: Int
        let nominating: Bool
        let consent: Bool
    }

    public private(set) var role: ICERole
    public let local: ICECredentials
    public private(set) var remote: ICECredentials?
    public private(set) var state = ICEConnectionState.new
    public let timing: Timing
    public let policy: ICETransportPolicy
    private let tieBreaker: UInt64
    private let stunServers: [TransportAddress]
    private let turnServers: [TURNServer]
    private let discovery: ServerReflexiveDiscovery
    private var relays: [Relay] = []
    /// Streams to TURN servers asked of the owner and not yet opened, by request id.
    private var pendingConnections: [Int: TURNServer] = [:]
    private var connectionRequests = DrainQueue<TURNConnectionRequest>()
    /// Request ids go on from the agent this one replaced (an ICE restart's), so that a late answer to one of its
    /// requests is never taken for one of ours.
    public private(set) var nextConnectionID: Int

    private(set) var localCandidates: [ICELocalCandidate] = []
    private(set) var remoteCandidates: [ICECandidateAddress] = []
    private var pairs: [ICECandidatePair.Key: ICECandidatePair] = [:]
    private var triggered: [ICECandidatePair.Key] = []
    private var transactions: [STUNTransactionID: Transaction] = [:]
    private var selected: ICECandidatePair.Key?
    private var nextCheckAt: Duration = .zero
    private var firstSuccessAt: Duration?
    private var nominationSent = false
    private var checkingStartedAt: Duration?
    private var lastConsentAt: Duration = .zero
    private var nextConsentAt: Duration = .zero
    private var transmits = DrainQueue<ICETransmit>()
    private var events = DrainQueue<ICEEvent>()
    private var random: RandomSource

    /// `servers` are used as far as they name literal IP addresses; other URLs are skipped.
    public init(
        role: ICERole, local: ICECredentials? = nil, tieBreaker: UInt64? = nil, timing: Timing = Timing(),
        servers: [ICEServer] = [], policy: ICETransportPolicy = .all, random: RandomSource = .system(), firstConnectionID: Int = 0
    ) {
        self.role = role
        nextConnectionID = firstConnectionID
        var random = random
        self.local = local ?? .random(using: &random)
        self.tieBreaker = tieBreaker ?? .random(in: .min ... .max, using: &random)
        self.random = random
        self.timing = timing
        self.policy = policy
        var stun: [TransportAddress] = [], turn: [TURNServer] = []
        for server in servers {
            for url in server.urls {
                guard let parsed = try? ICEServerURL(parsing: url), let address = parsed.address else { continue }
                switch parsed.scheme {
                case .stun:
                    if !stun.contains(address) { stun.append(address) }
                case .turn, .turns:
                    guard let username = server.username, let password = server.credential,
                        !turn.contains(where: { $0.address == address && $0.transport == parsed.transport })
                    else { continue }
                    turn.append(TURNServer(address: address, name: parsed.host, transport: parsed.transport, username: username, password: password))
                }
            }
        }
        // A TURN server's Allocate response over UDP already says where it saw us.
        stunServers = stun.filter { address in !turn.contains { $0.address == address && $0.transport == .udp } }
        turnServers = turn
        discovery = ServerReflexiveDiscovery(schedule: timing.stunRetransmit, random: random)
    }

    // MARK: Candidates and credentials

    /// Registers a local candidate living on `socket` and, for a host candidate, starts gathering from
    /// the configured servers through it. Returns the candidate; it is also announced as an event.
    @discardableResult
    public func addLocalCandidate(kind: ICECandidateKind, address: TransportAddress, socket: Int, now: Duration) -> ICELocalCandidate {
        let candidate = makeLocalCandidate(kind: kind, address: address, socket: socket, foundation: "\(kind.rawValue)\(socket)")
        add(candidate, now: now)
        if kind == .host { gather(from: candidate, now: now) }
        return candidate
    }

    private func makeLocalCandidate(
        kind: ICECandidateKind, address: TransportAddress, socket: Int, foundation: String, relatedAddress: TransportAddress? = nil,
        serverTransport: ICEServerURL.Transport = .udp
    ) -> ICELocalCandidate {
        // A relay reached over TCP, and more so over TLS, costs more per packet than one over UDP: it is
        // used only when that one fails (as browsers rank them).
        let penalty = switch serverTransport {
        case .udp: 0
        case .tcp: 16_384
        case .tls: 32_768
        }
        let preference = UInt32(65535 - penalty - min(localCandidates.count, 16_383))
        return ICELocalCandidate(
            candidate: ICECandidateAddress(
                kind: kind, address: address, priority: ICECandidateAddress.priority(kind: kind, localPreference: preference),
                foundation: foundation, relatedAddress: relatedAddress),
            socket: socket)
    }

    private func add(_ candidate: ICELocalCandidate, now: Duration) {
        localCandidates.append(candidate)
        if isSignaled(candidate.candidate.kind) { events.append(.localCandidate(candidate.candidate)) }
        for remote in remoteCandidates { addPair(local: candidate, remote: remote, now: now) }
        startChecking(now: now)
    }

    /// Which of our candidates the peer hears of.
    private func isSignaled(_ kind: ICECandidateKind) -> Bool {
        policy == .all || kind == .relay
    }

    /// Which of our candidates are checked. A server-reflexive candidate sends from its base, so its
    /// pairs would duplicate the host candidate's (RFC 8445 §6.1.2.4).
    private func isPaired(_ kind: ICECandidateKind) -> Bool {
        policy == .relay ? kind == .relay : kind != .serverReflexive
    }

    private func hostCandidate(on socket: Int) -> ICELocalCandidate? {
        localCandidates.first { $0.socket == socket && $0.candidate.kind == .host }
    }

    // MARK: Gathering

    private func gather(from host: ICELocalCandidate, now: Duration) {
        let isIPv4 = host.candidate.address.ip.isIPv4
        for server in turnServers where server.address.ip.isIPv4 == isIPv4 {
            guard server.transport == .udp else {
                pendingConnections[nextConnectionID] = server
                connectionRequests.append(TURNConnectionRequest(
                    id: nextConnectionID, server: server.address, serverName: server.name, usesTLS: server.transport == .tls,
                    localIP: host.candidate.address.ip))
                nextConnectionID += 1
                continue
            }
            startRelay(on: host.socket, server: server, now: now)
        }
        if policy == .all {
            for server in stunServers where server.ip.isIPv4 == isIPv4 { discovery.start(socket: host.socket, server: server, now: now) }
        }
        flushServers(now: now)
        failIfNoRelayCanExist()
    }

    private func startRelay(on socket: Int, server: TURNServer, now: Duration) {
        let client = TURNClient(
            server: server.address, transport: server.transport == .udp ? .datagram : .stream, username: server.username,
            password: server.password, timing: timing.turn, now: now, random: random)
        for remote in remoteCandidates where remote.address.ip.isIPv4 == server.address.ip.isIPv4 { client.createPermission(for: remote.address, now: now) }
        relays.append(Relay(socket: socket, client: client, transport: server.transport))
    }

    /// The next TCP or TLS connection to a TURN server the owner should open.
    public func pollConnectionRequest() -> TURNConnectionRequest? {
        connectionRequests.popFirst()
    }

    /// The connection asked for by request `id` is open as `socket`: allocate through it.
    /// Whether the agent uses it: one it no longer waits for (it closed or failed meanwhile) is the owner's to close.
    @discardableResult
    public func connectionOpened(_ id: Int, socket: Int, now: Duration) -> Bool {
        guard let server = pendingConnections.removeValue(forKey: id), state != .closed, state != .failed else { return false }
        startRelay(on: socket, server: server, now: now)
        flushServers(now: now)
        return true
    }

    /// The connection asked for by request `id` could not be opened.
    public func connectionFailed(_ id: Int, now: Duration) {
        guard pendingConnections.removeValue(forKey: id) != nil else { return }
        failIfNoRelayCanExist()
    }

    /// The TCP and TLS connections to TURN servers that this agent's allocations run over: the owner closes them
    /// once the agent is closed and its last transmits (the deallocations) are written.
    public var streamSockets: [Int] { relays.filter { $0.transport != .udp }.map(\.socket) }

    /// The connection that is `socket` closed, and with it the allocation made through it.
    public func connectionClosed(socket: Int, now: Duration) {
        for relay in relays where relay.socket == socket && relay.transport != .udp { relay.client.connectionClosed() }
        flushServers(now: now)
    }

    private func addServerReflexive(_ mapped: TransportAddress, socket: Int, now: Duration) {
        guard policy == .all, let host = hostCandidate(on: socket), mapped != host.candidate.address,
            !localCandidates.contains(where: { $0.candidate.address == mapped })
        else { return }
        add(makeLocalCandidate(kind: .serverReflexive, address: mapped, socket: socket, foundation: "srflx\(socket)", relatedAddress: host.candidate.address), now: now)
    }

    /// Moves what the servers' clients produced into our transmits and acts on their events.
    private func flushServers(now: Duration) {
        for index in relays.indices {
            while let event = relays[index].client.pollEvent() {
                switch event {
                case .allocated(let relayed, let mapped):
                    if let mapped { addServerReflexive(mapped, socket: relays[index].socket, now: now) }
                    let candidate = makeLocalCandidate(
                        kind: .relay, address: relayed, socket: relays[index].socket, foundation: "relay\(index)", relatedAddress: mapped,
                        serverTransport: relays[index].transport)
                    relays[index].candidate = candidate
                    add(candidate, now: now)
                case .failed:
                    failIfNoRelayCanExist()
                }
            }
        }
        drainServerTransmits()
    }

    private func drainServerTransmits() {
        while let transmit = discovery.pollTransmit() { transmits.append(transmit) }
        for relay in relays {
            while let bytes = relay.client.pollTransmit() {
                transmits.append(ICETransmit(socket: relay.socket, destination: relay.client.server, payload: bytes))
            }
        }
    }

    /// Under the relay policy, once every allocation has failed (or none can be made) nothing can ever
    /// connect: say so now rather than wait for a checking timeout that never starts.
    private func failIfNoRelayCanExist() {
        guard policy == .relay, state != .closed, state != .failed, localCandidates.contains(where: { $0.candidate.kind == .host }),
            pendingConnections.isEmpty, !relays.contains(where: { $0.client.isAllocated || $0.client.state == .allocating })
        else { return }
        setState(.failed)
    }

    private func relay(for local: ICELocalCandidate) -> Relay? {
        relays.first { $0.candidate == local }
    }

    public func setRemoteCredentials(_ credentials: ICECredentials, now: Duration) {
        remote = credentials
        startChecking(now: now)
    }

    /// Remote candidates beyond this many (trickled and peer-reflexive together) are ignored: a peer cannot
    /// make us check, permit and remember without bound.
    public static let maxRemoteCandidates = 64

    /// Adds a trickled remote candidate (IPv4/IPv6 UDP only; the caller resolves nothing). Each
    /// allocation gets a permission for its address, so the peer's checks can reach our relay.
    public func addRemoteCandidate(_ candidate: ICECandidateAddress, now: Duration) {
        guard !remoteCandidates.contains(where: { $0.address == candidate.address }), remoteCandidates.count < Self.maxRemoteCandidates else { return }
        remoteCandidates.append(candidate)
        for relay in relays where relay.client.server.ip.isIPv4 == candidate.address.ip.isIPv4 {
            relay.client.createPermission(for: candidate.address, now: now)
        }
        for local in localCandidates { addPair(local: local, remote: candidate, now: now) }
        startChecking(now: now)
        flushServers(now: now)
    }

    private func addPair(local: ICELocalCandidate, remote: ICECandidateAddress, now: Duration) {
        guard isPaired(local.candidate.kind), local.candidate.address.ip.isIPv4 == remote.address.ip.isIPv4 else { return }
        let pair = ICECandidatePair(local: local, remote: remote)
        if pairs[pair.key] == nil { pairs[pair.key] = pair }
    }

    private func startChecking(now: Duration) {
        guard state == .new, remote != nil, !pairs.isEmpty else { return }
        checkingStartedAt = now
        nextCheckAt = now
        setState(.checking)
    }

    // MARK: Output

    public func pollTransmit() -> ICETransmit? {
        transmits.popFirst()
    }

    public func pollEvent() -> ICEEvent? {
        events.popFirst()
    }

    /// Wraps application data (DTLS records) for the selected pair; nil until a pair is selected.
    /// Through a relay it is a ChannelData message (or a Send indication) for the TURN server.
    public func send(_ payload: [UInt8]) -> ICETransmit? {
        guard let key = selected, let pair = pairs[key], state == .connected || state == .disconnected else { return nil }
        guard pair.local.candidate.kind == .relay else {
            return ICETransmit(socket: pair.local.socket, destination: pair.remote.address, payload: payload)
        }
        guard let relay = relay(for: pair.local), let bytes = relay.client.encapsulate(payload, for: pair.remote.address) else { return nil }
        return ICETransmit(socket: relay.socket, destination: relay.client.server, payload: bytes)
    }

    public var selectedPair: (local: ICELocalCandidate, remote: ICECandidateAddress)? {
        selected.flatMap { pairs[$0] }.map { ($0.local, $0.remote) }
    }

    /// When `handleTimeout` should next run.
    public var deadline: Duration? {
        var soonest: Duration?
        func consider(_ time: Duration?) {
            guard let time else { return }
            soonest = min(soonest ?? time, time)
        }
        guard state != .closed && state != .failed else { return nil }
        for transaction in transactions.values { consider(transaction.deadline) }
        consider(discovery.deadline)
        for relay in relays { consider(relay.client.deadline) }
        if state == .checking {
            if !triggered.isEmpty || pairs.values.contains(where: { $0.state == .waiting }) { consider(nextCheckAt) }
            if role == .controlling, !nominationSent, let first = firstSuccessAt { consider(first + timing.nominationDelay) }
            if let started = checkingStartedAt { consider(started + timing.checkingTimeout) }
        }
        if state == .connected || state == .disconnected {
            consider(nextConsentAt)
            consider(lastConsentAt + (state == .connected ? timing.disconnectedAfter : timing.failedAfter))
        }
        return soonest
    }

    /// Stops checking and deletes our allocations (their last transmits are queued).
    public func close() {
        transactions.removeAll()
        triggered.removeAll()
        discovery.cancel()
        pendingConnections.removeAll()
        connectionRequests.removeAll()
        for relay in relays { relay.client.close() }
        drainServerTransmits()
        setState(.closed)
    }

    // MARK: Time

    public func handleTimeout(now: Duration) {
        guard state != .closed && state != .failed else { return }
        defer { flushServers(now: now) }
        discovery.handleTimeout(now: now)
        for relay in relays { relay.client.handleTimeout(now: now) }
        retransmit(now: now)
        if state == .checking {
            if now >= nextCheckAt { sendNextCheck(now: now) }
            if role == .controlling, !nominationSent, let first = firstSuccessAt, now >= first + timing.nominationDelay { nominate(now: now) }
            if let started = checkingStartedAt, now >= started + timing.checkingTimeout, selected == nil { setState(.failed) }
        }
        if state == .connected || state == .disconnected { checkConsent(now: now) }
    }

    private func retransmit(now: Duration) {
        for (id, var transaction) in transactions where transaction.deadline <= now {
            guard transaction.retransmits < timing.maxRetransmits else {
                transactions[id] = nil
                if !transaction.consent, var pair = pairs[transaction.pair], pair.state == .inProgress {
                    pair.state = .failed
                    pairs[transaction.pair] = pair
                }
                continue
            }
            transaction.retransmits += 1
            transaction.interval = min(transaction.interval * 2, .seconds(2))
            transaction.deadline = now + transaction.interval
            transactions[id] = transaction
            if let pair = pairs[transaction.pair] { transmit(transaction.request, from: pair.local, to: pair.remote.address, now: now) }
        }
    }

    /// Sends one check: a triggered one first, else the best waiting pair (paced by Ta).
    private func sendNextCheck(now: Duration) {
        let key: ICECandidatePair.Key?
        if !triggered.isEmpty {
            key = triggered.removeFirst()
        } else {
            let controlling = role == .controlling
            key = pairs.values.filter { $0.state == .waiting }.max { $0.priority(controlling: controlling) < $1.priority(controlling: controlling) }?.key
        }
        guard let key else { return }
        nextCheckAt = now + timing.checkInterval
        sendCheck(on: key, nominating: false, consent: false, now: now)
    }

    private func nominate(now: Duration) {
        let controlling = role == .controlling
        guard let best = pairs.values.filter({ $0.state == .succeeded }).max(by: { $0.priority(controlling: controlling) < $1.priority(controlling: controlling) }) else {
            return
        }
        nominationSent = true
        sendCheck(on: best.key, nominating: true, consent: false, now: now)
    }

    private func checkConsent(now: Duration) {
        if now - lastConsentAt >= timing.failedAfter {
            setState(.failed)
            return
        }
        if now - lastConsentAt >= timing.disconnectedAfter, state == .connected { setState(.disconnected) }
        if now >= nextConsentAt, let key = selected {
            nextConsentAt = now + timing.consentInterval
            sendCheck(on: key, nominating: false, consent: true, now: now)
        }
    }

    private func sendCheck(on key: ICECandidatePair.Key, nominating: Bool, consent: Bool, now: Duration) {
        guard let remote, var pair = pairs[key] else { return }
        var attributes: [STUNAttribute] = [
            .username("\(remote.ufrag):\(local.ufrag)"),
            .priority(ICECandidateAddress.priority(kind: .peerReflexive)),
            role == .controlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker),
        ]
        if nominating { attributes.append(.useCandidate) }
        let request = STUNMessage(method: .binding, class: .request, transactionID: .random(using: &random), attributes: attributes)
        guard let bytes = try? request.encoded(integrityKey: .shortTerm(password: remote.password), fingerprint: true) else { return }
        if pair.state == .waiting || pair.state == .failed { pair.state = .inProgress }
        pairs[key] = pair
        transactions[request.transactionID] = Transaction(
            pair: key, request: bytes, deadline: now + timing.initialRetransmit, interval: timing.initialRetransmit, retransmits: 0,
            nominating: nominating, consent: consent)
        transmit(bytes, from: pair.local, to: pair.remote.address, now: now)
    }

    /// Sends from a local candidate: straight out of its socket, or through its allocation.
    private func transmit(_ payload: [UInt8], from local: ICELocalCandidate, to destination: TransportAddress, now: Duration) {
        if local.candidate.kind == .relay {
            relay(for: local)?.client.send(payload, to: destination, now: now)
        } else {
            transmits.append(ICETransmit(socket: local.socket, destination: destination, payload: payload))
        }
    }

    // MARK: Input

    /// Feeds one datagram received on `socket` from `source`. Returns it when it is application data
    /// (not STUN) for the layer above; STUN and TURN are consumed here, and what a peer sent through
    /// one of our allocations is handled as if it had arrived at the relay candidate.
    public func receive(_ datagram: [UInt8], from source: TransportAddress, socket: Int, now: Duration) -> [UInt8]? {
        defer { flushServers(now: now) }
        if let relay = relays.first(where: { $0.socket == socket && $0.client.server == source }) {
            guard let (peer, payload) = relay.client.receive(datagram, now: now), let local = relay.candidate else { return nil }
            return receive(payload, from: peer, at: local, now: now)
        }
        guard let host = hostCandidate(on: socket) else { return nil }
        return receive(datagram, from: source, at: host, now: now)
    }

    private func receive(_ datagram: [UInt8], from source: TransportAddress, at local: ICELocalCandidate, now: Duration) -> [UInt8]? {
        guard STUNMessage.looksLikeSTUN(datagram) else {
            // Under the relay policy our host candidates carry nothing but server traffic. Anything else reaches
            // DTLS only from a validated pair: datagrams from other addresses are dropped here.
            guard state != .closed, isPaired(local.candidate.kind),
                pairs[ICECandidatePair.Key(local: local.candidate.address, remote: source)]?.isValidated == true
            else { return nil }
            return datagram
        }
        guard let message = try? STUNMessage(parsing: datagram), message.method == .binding else { return nil }
        switch message.messageClass {
        case .request:
            guard isPaired(local.candidate.kind) else { return nil }
            handleRequest(message, bytes: datagram, from: source, at: local, now: now)
        case .successResponse, .errorResponse:
            if local.candidate.kind == .host {
                let (consumed, discovered) = discovery.receive(message, from: source, socket: local.socket)
                if let discovered { addServerReflexive(discovered.mapped, socket: discovered.socket, now: now) }
                if consumed { return nil }
            }
            handleResponse(message, bytes: datagram, from: source, at: local, now: now)
        case .indication:
            break
        }
        return nil
    }

    private func handleRequest(_ request: STUNMessage, bytes: [UInt8], from source: TransportAddress, at localCandidate: ICELocalCandidate, now: Duration) {
        // Only checks addressed to us and signed with our password count (RFC 8445 §7.3).
        guard let username = request.username, username.hasPrefix(local.ufrag + ":"),
            STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: local.password)) == .valid,
            STUNMessage.verifyFingerprint(of: bytes) == .valid
        else { return }
        if keepsRoleInConflict(with: request) {
            respond(request.errorResponse(STUNErrorCode(code: 487, reason: "Role Conflict")), from: localCandidate, to: source, now: now)
            return
        }
        respond(request.successResponse(attributes: [.xorMappedAddress(source)]), from: localCandidate, to: source, now: now)
        let key = ICECandidatePair.Key(local: localCandidate.candidate.address, remote: source)
        if key == selected, state == .connected || state == .disconnected { peerCheckedSelectedPair(now: now) }

        if !remoteCandidates.contains(where: { $0.address == source }) {
            guard remoteCandidates.count < Self.maxRemoteCandidates else { return }
            // A peer-reflexive candidate: the peer reached us from an address it never signaled.
            let candidate = ICECandidateAddress(
                kind: .peerReflexive, address: source, priority: request.priority ?? ICECandidateAddress.priority(kind: .peerReflexive),
                foundation: "prflx")
            remoteCandidates.append(candidate)
        }
        let remoteCandidate = remoteCandidates.first { $0.address == source }!
        if pairs[key] == nil { pairs[key] = ICECandidatePair(local: localCandidate, remote: remoteCandidate) }
        pairs[key]?.checkedByPeer = true
        if request.useCandidate, role == .controlled { pairs[key]?.nominated = true }
        if pairs[key]?.state == .succeeded {
            if role == .controlled, pairs[key]?.nominated == true { select(key, now: now) }
        } else if remote != nil, !triggered.contains(key) {
            triggered.append(key)
            if state == .new { startChecking(now: now) }
            nextCheckAt = min(nextCheckAt, now)
        }
    }

    /// The peer's authenticated check arrived on the selected pair: the peer is there, still in this session (its
    /// credentials), and what it sent reached us. On the controlled side that counts as consent and puts our own
    /// check off, so while the controlling side checks, the controlled one only answers. The controlling side
    /// keeps relying on its own checks: were the path broken one way, its checks would then go unanswered, the
    /// controlling side would fail in the usual 8 s and, its connection ended, its checks would stop reaching the
    /// controlled side too.
    private func peerCheckedSelectedPair(now: Duration) {
        guard role == .controlled else { return }
        lastConsentAt = now
        if state == .disconnected { setState(.connected) }
        nextConsentAt = max(nextConsentAt, now + timing.consentInterval + timing.controlledConsentDelay)
    }

    /// RFC 8445 §7.3.1.1: with both sides claiming the same role, the larger tie-breaker is controlling.
    /// Returns true when we keep our role (and the request gets 487); switches our role otherwise.
    private func keepsRoleInConflict(with request: STUNMessage) -> Bool {
        if role == .controlling, let theirs = request.iceControlling {
            if tieBreaker >= theirs { return true }
            role = .controlled
        } else if role == .controlled, let theirs = request.iceControlled {
            if tieBreaker < theirs { return true }
            role = .controlling
        }
        return false
    }

    private func respond(_ response: STUNMessage, from candidate: ICELocalCandidate, to destination: TransportAddress, now: Duration) {
        guard let bytes = try? response.encoded(integrityKey: .shortTerm(password: local.password), fingerprint: true) else { return }
        transmit(bytes, from: candidate, to: destination, now: now)
    }

    /// A response counts only for the pair its request went out on: from the address we sent it to, received
    /// on the candidate we sent it from (RFC 8445 §7.2.5.2.1), and signed with the peer's password.
    private func handleResponse(_ response: STUNMessage, bytes: [UInt8], from source: TransportAddress, at local: ICELocalCandidate, now: Duration) {
        guard let transaction = transactions[response.transactionID], let remote,
            transaction.pair.remote == source, transaction.pair.local == local.candidate.address,
            STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: remote.password)) == .valid
        else { return }
        transactions[response.transactionID] = nil
        guard var pair = pairs[transaction.pair] else { return }
        if response.messageClass == .errorResponse {
            if response.errorCode?.code == 487 {
                role = role == .controlling ? .controlled : .controlling
                triggered.append(transaction.pair)
            } else {
                pair.state = .failed
                pairs[transaction.pair] = pair
            }
            return
        }
        if transaction.consent {
            lastConsentAt = now
            if state == .disconnected { setState(.connected) }
            return
        }
        pair.state = .succeeded
        if transaction.nominating { pair.nominated = true }
        pairs[transaction.pair] = pair
        if firstSuccessAt == nil { firstSuccessAt = now }
        if pair.nominated {
            select(transaction.pair, now: now)
        } else if role == .controlling, !nominationSent, !betterPairMayStillSucceed(than: pair) {
            // Nothing better can come of waiting: nominate now instead of after `nominationDelay`.
            nominate(now: now)
        }
    }

    /// Whether a pair that outranks `pair` is still waiting or being checked.
    private func betterPairMayStillSucceed(than pair: ICECandidatePair) -> Bool {
        let controlling = role == .controlling
        let priority = pair.priority(controlling: controlling)
        return pairs.values.contains { ($0.state == .waiting || $0.state == .inProgress) && $0.priority(controlling: controlling) > priority }
    }

    private func select(_ key: ICECandidatePair.Key, now: Duration) {
        guard selected != key, let pair = pairs[key] else { return }
        selected = key
        lastConsentAt = now
        nextConsentAt = now + timing.consentInterval
        // Data through a relay goes in ChannelData, 4 bytes of overhead instead of a Send indication's 36.
        if pair.local.candidate.kind == .relay { relay(for: pair.local)?.client.bindChannel(to: pair.remote.address, now: now) }
        events.append(.selectedPair(local: pair.local, remote: pair.remote))
        setState(.connected)
    }

    private func setState(_ new: ICEConnectionState) {
        guard state != new else { return }
        state = new
        events.append(.stateChanged(new))
    }
}

extension ICEAgent {
    /// Our candidates as the peer should hear of them.
    public var localCandidatesForSignaling: [ICECandidateAddress] { localCandidates.map(\.candidate).filter { isSignaled($0.kind) } }
}
