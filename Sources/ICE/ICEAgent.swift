import STUN

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

    public static func random() -> ICECredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func string(_ count: Int) -> String { String((0..<count).map { _ in alphabet.randomElement()! }) }
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
}

/// A sans-IO ICE agent (RFC 8445) for one component over UDP, with trickle (RFC 8838) and consent
/// freshness (RFC 7675).
///
/// The shell owns the sockets: it registers each local candidate with the socket it lives on, feeds every
/// received datagram to `receive`, sends what `pollTransmit` yields, and calls `handleTimeout` at
/// `deadline`. Time is a monotonic `Duration` supplied by the caller, so tests run on a virtual clock.
public final class ICEAgent {
    public struct Timing: Sendable {
        /// Pacing between new connectivity checks (RFC 8445 Ta).
        public var checkInterval: Duration = .milliseconds(20)
        public var initialRetransmit: Duration = .milliseconds(250)
        public var maxRetransmits = 6
        /// How long the controlling side waits after the first success for better pairs before nominating.
        public var nominationDelay: Duration = .milliseconds(50)
        public var consentInterval: Duration = .seconds(2)
        /// No consent response for this long: disconnected (traffic may still come back).
        public var disconnectedAfter: Duration = .seconds(4)
        /// No consent response for this long: failed (the peer is gone).
        public var failedAfter: Duration = .seconds(8)
        /// Checking that has not connected after this long fails.
        public var checkingTimeout: Duration = .seconds(30)

        public init() {}
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
    private let tieBreaker: UInt64

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
    private var transmits: [ICETransmit] = []
    private var events: [ICEEvent] = []

    public init(role: ICERole, local: ICECredentials = .random(), tieBreaker: UInt64 = .random(in: .min ... .max), timing: Timing = Timing()) {
        self.role = role
        self.local = local
        self.tieBreaker = tieBreaker
        self.timing = timing
    }

    // MARK: Candidates and credentials

    /// Registers a local candidate living on `socket`; returns it for signaling to the peer.
    @discardableResult
    public func addLocalCandidate(kind: ICECandidateKind, address: TransportAddress, socket: Int, now: Duration) -> ICELocalCandidate {
        let preference = UInt32(65535 - min(localCandidates.count, 65535))
        let candidate = ICELocalCandidate(
            candidate: ICECandidateAddress(
                kind: kind, address: address, priority: ICECandidateAddress.priority(kind: kind, localPreference: preference),
                foundation: "\(kind.rawValue)\(socket)"),
            socket: socket)
        localCandidates.append(candidate)
        for remote in remoteCandidates { addPair(local: candidate, remote: remote, now: now) }
        return candidate
    }

    public func setRemoteCredentials(_ credentials: ICECredentials, now: Duration) {
        remote = credentials
        startChecking(now: now)
    }

    /// Adds a trickled remote candidate (IPv4/IPv6 UDP only; the caller resolves nothing).
    public func addRemoteCandidate(_ candidate: ICECandidateAddress, now: Duration) {
        guard !remoteCandidates.contains(where: { $0.address == candidate.address }) else { return }
        remoteCandidates.append(candidate)
        for local in localCandidates { addPair(local: local, remote: candidate, now: now) }
        startChecking(now: now)
    }

    private func addPair(local: ICELocalCandidate, remote: ICECandidateAddress, now: Duration) {
        guard local.candidate.address.ip.isIPv4 == remote.address.ip.isIPv4 else { return }
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
        transmits.isEmpty ? nil : transmits.removeFirst()
    }

    public func pollEvent() -> ICEEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// Wraps application data (DTLS records) for the selected pair; nil until a pair is selected.
    public func send(_ payload: [UInt8]) -> ICETransmit? {
        guard let key = selected, let pair = pairs[key], state == .connected || state == .disconnected else { return nil }
        return ICETransmit(socket: pair.local.socket, destination: pair.remote.address, payload: payload)
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
        for transaction in transactions.values { consider(transaction.deadline) }
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

    public func close() {
        transactions.removeAll()
        triggered.removeAll()
        setState(.closed)
    }

    // MARK: Time

    public func handleTimeout(now: Duration) {
        guard state != .closed && state != .failed else { return }
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
            if let pair = pairs[transaction.pair] {
                transmits.append(ICETransmit(socket: pair.local.socket, destination: pair.remote.address, payload: transaction.request))
            }
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
        let request = STUNMessage(method: .binding, class: .request, transactionID: .random(), attributes: attributes)
        guard let bytes = try? request.encoded(integrityKey: .shortTerm(password: remote.password), fingerprint: true) else { return }
        if pair.state == .waiting || pair.state == .failed { pair.state = .inProgress }
        pairs[key] = pair
        transactions[request.transactionID] = Transaction(
            pair: key, request: bytes, deadline: now + timing.initialRetransmit, interval: timing.initialRetransmit, retransmits: 0,
            nominating: nominating, consent: consent)
        transmits.append(ICETransmit(socket: pair.local.socket, destination: pair.remote.address, payload: bytes))
    }

    // MARK: Input

    /// Feeds one datagram received on `socket` from `source`. Returns it when it is application data
    /// (not STUN) for the layer above; STUN is consumed here.
    public func receive(_ datagram: [UInt8], from source: TransportAddress, socket: Int, now: Duration) -> [UInt8]? {
        guard STUNMessage.looksLikeSTUN(datagram) else {
            return state == .closed ? nil : datagram
        }
        guard let message = try? STUNMessage(parsing: datagram), message.method == .binding else { return nil }
        switch message.messageClass {
        case .request:
            handleRequest(message, bytes: datagram, from: source, socket: socket, now: now)
        case .successResponse, .errorResponse:
            handleResponse(message, bytes: datagram, from: source, now: now)
        case .indication:
            break
        }
        return nil
    }

    private func handleRequest(_ request: STUNMessage, bytes: [UInt8], from source: TransportAddress, socket: Int, now: Duration) {
        // Only checks addressed to us and signed with our password count (RFC 8445 §7.3).
        guard let username = request.username, username.hasPrefix(local.ufrag + ":"),
            STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: local.password)) == .valid,
            STUNMessage.verifyFingerprint(of: bytes) == .valid
        else { return }
        if keepsRoleInConflict(with: request) {
            respond(request.errorResponse(STUNErrorCode(code: 487, reason: "Role Conflict")), to: source, socket: socket)
            return
        }
        respond(request.successResponse(attributes: [.xorMappedAddress(source)]), to: source, socket: socket)

        guard let localCandidate = localCandidates.first(where: { $0.socket == socket }) else { return }
        if !remoteCandidates.contains(where: { $0.address == source }) {
            // A peer-reflexive candidate: the peer reached us from an address it never signaled.
            let candidate = ICECandidateAddress(
                kind: .peerReflexive, address: source, priority: request.priority ?? ICECandidateAddress.priority(kind: .peerReflexive),
                foundation: "prflx")
            remoteCandidates.append(candidate)
        }
        let remoteCandidate = remoteCandidates.first { $0.address == source }!
        let key = ICECandidatePair.Key(socket: socket, remote: source)
        if pairs[key] == nil { pairs[key] = ICECandidatePair(local: localCandidate, remote: remoteCandidate) }
        if request.useCandidate, role == .controlled { pairs[key]?.nominated = true }
        if pairs[key]?.state == .succeeded {
            if role == .controlled, pairs[key]?.nominated == true { select(key, now: now) }
        } else if remote != nil, !triggered.contains(key) {
            triggered.append(key)
            if state == .new { startChecking(now: now) }
            nextCheckAt = min(nextCheckAt, now)
        }
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

    private func respond(_ response: STUNMessage, to destination: TransportAddress, socket: Int) {
        guard let bytes = try? response.encoded(integrityKey: .shortTerm(password: local.password), fingerprint: true) else { return }
        transmits.append(ICETransmit(socket: socket, destination: destination, payload: bytes))
    }

    private func handleResponse(_ response: STUNMessage, bytes: [UInt8], from source: TransportAddress, now: Duration) {
        guard let transaction = transactions[response.transactionID], let remote,
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
        if pair.nominated { select(transaction.pair, now: now) }
    }

    private func select(_ key: ICECandidatePair.Key, now: Duration) {
        guard selected != key, let pair = pairs[key] else { return }
        selected = key
        lastConsentAt = now
        nextConsentAt = now + timing.consentInterval
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
    public var localCandidatesForSignaling: [ICECandidateAddress] { localCandidates.map(\.candidate) }
}
