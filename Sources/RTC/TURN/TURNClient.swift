import SansIO
import STUN

/// A sans-IO TURN client (RFC 8656) for one allocation, reached over UDP or over a TCP or TLS stream.
///
/// It allocates with long-term credentials (answering the 401 challenge and 438 stale-nonce
/// replies), refreshes the allocation, its permissions and its channels before they expire, and
/// wraps data for peers in Send indications or, once a channel is bound, ChannelData. Every byte it
/// produces goes to `server` from the one local socket the owner runs it on; the owner feeds back
/// every datagram arriving from `server` on that socket. Over a stream each output is one message to
/// write as it is, and the owner splits what it reads into messages with ``TURNStreamFraming``.
public final class TURNClient {
    /// How the client reaches its server; the relayed address is UDP either way.
    public enum Transport: Sendable, Equatable {
        /// Datagrams: requests are retransmitted, ChannelData goes unpadded.
        case datagram
        /// TCP or TLS: nothing is retransmitted (the stream is reliable), ChannelData is padded to 4 bytes.
        case stream
    }

    public struct Timing: Sendable {
        public var retransmit = STUNRetransmitSchedule()
        /// The allocation lifetime we ask for; the server may grant another.
        public var requestedLifetime: UInt32 = 600
        /// Permissions last 300 s (RFC 8656 §9); we renew them this often.
        public var permissionRefreshInterval: Duration = .seconds(240)
        /// Channel bindings last 600 s (RFC 8656 §12); we renew them this often.
        public var channelRefreshInterval: Duration = .seconds(540)
        /// Datagrams held per peer while its permission is being created.
        public var maxQueuedPerPeer = 16

        public init() {}
    }

    public enum State: Sendable, Equatable {
        case allocating
        case allocated(relayed: TransportAddress, mapped: TransportAddress?)
        case failed(TURNClientError)
        case closed
    }

    private enum Purpose {
        case allocate
        case refresh
        case createPermission(IPAddress)
        case channelBind(UInt16, TransportAddress)

        var method: STUNMethod {
            switch self {
            case .allocate: .allocate
            case .refresh: .refresh
            case .createPermission: .createPermission
            case .channelBind: .channelBind
            }
        }
    }

    private struct Transaction {
        let purpose: Purpose
        /// The request without credentials, to sign again with a fresh nonce.
        let request: STUNMessage
        let bytes: [UInt8]
        let signed: Bool
        var retransmission: STUNRetransmission
        var staleNonceRetries: Int
    }

    private struct Permission {
        var installed = false
        var inFlight = false
        var refreshAt: Duration?
        var queued: [(peer: TransportAddress, payload: [UInt8])] = []
    }

    private struct Channel {
        let number: UInt16
        var bound = false
        var inFlight = false
        var refreshAt: Duration?
    }

    public let server: TransportAddress
    public let transport: Transport
    public let timing: Timing
    public private(set) var state = State.allocating
    private var credentials: TURNLongTermCredentials
    private var transactions: [STUNTransactionID: Transaction] = [:]
    private var refreshAt: Duration?
    private var refreshInFlight = false
    private var permissions: [IPAddress: Permission] = [:]
    private var channels: [TransportAddress: Channel] = [:]
    private var peersByChannel: [UInt16: TransportAddress] = [:]
    private var nextChannel = TURNChannelData.validChannels.lowerBound
    private var transmits = DrainQueue<[UInt8]>()
    private var events = DrainQueue<TURNClientEvent>()
    private var random: RandomSource
    /// A stale nonce is answered this many times per request; a server that keeps calling every
    /// nonce stale is broken, not slow.
    private static let maxStaleNonceRetries = 2

    /// Starts allocating at once: the first Allocate is ready in `pollTransmit`.
    public init(
        server: TransportAddress, transport: Transport = .datagram, username: String, password: String, timing: Timing = Timing(), now: Duration,
        random: RandomSource = .system()
    ) {
        self.random = random
        self.server = server
        self.transport = transport
        self.timing = timing
        credentials = TURNLongTermCredentials(username: username, password: password)
        start(.allocate, request: allocateRequest(), now: now)
    }

    private func allocateRequest() -> STUNMessage {
        STUNMessage(method: .allocate, class: .request, transactionID: .random(using: &random), attributes: [
            .requestedTransport(STUNAttribute.udpProtocolNumber), .lifetime(timing.requestedLifetime),
        ])
    }

    // MARK: Output

    /// The next datagram for `server`.
    public func pollTransmit() -> [UInt8]? {
        transmits.popFirst()
    }

    public func pollEvent() -> TURNClientEvent? {
        events.popFirst()
    }

    public var relayedAddress: TransportAddress? {
        if case .allocated(let relayed, _) = state { return relayed }
        return nil
    }

    public var isAllocated: Bool { relayedAddress != nil }

    /// The channel bound to `peer`, once the server has confirmed it.
    public func boundChannel(for peer: TransportAddress) -> UInt16? {
        channels[peer].flatMap { $0.bound ? $0.number : nil }
    }

    public func hasPermission(for peer: IPAddress) -> Bool { permissions[peer]?.installed == true }

    public var deadline: Duration? {
        guard isAllocated || state == .allocating else { return nil }
        var soonest = transactions.values.map(\.retransmission.deadline).min()
        func consider(_ time: Duration?) {
            guard let time else { return }
            soonest = min(soonest ?? time, time)
        }
        if !refreshInFlight { consider(refreshAt) }
        for permission in permissions.values where !permission.inFlight { consider(permission.refreshAt) }
        for channel in channels.values where !channel.inFlight { consider(channel.refreshAt) }
        return soonest
    }

    // MARK: Peers and data

    /// Lets `peer`'s IP address send to our relayed address (ports do not matter to permissions).
    public func createPermission(for peer: TransportAddress, now: Duration) {
        guard isAllocated || state == .allocating, permissions[peer.ip] == nil else { return }
        permissions[peer.ip] = Permission()
        if isAllocated { requestPermission(for: peer.ip, now: now) }
    }

    /// Binds a channel to `peer` so data to and from it travels as 4-byte-header ChannelData.
    /// Until the server confirms, data keeps going as Send indications.
    public func bindChannel(to peer: TransportAddress, now: Duration) {
        guard isAllocated, channels[peer] == nil, TURNChannelData.validChannels.contains(nextChannel) else { return }
        // A binding outlives the permission it installs (600 s against 300 s), so keep one of our own.
        createPermission(for: peer, now: now)
        let number = nextChannel
        nextChannel += 1
        channels[peer] = Channel(number: number)
        // RFC 8656 §12: ChannelData for the channel may arrive as soon as the request is sent.
        peersByChannel[number] = peer
        requestChannel(number, for: peer, now: now)
    }

    /// Sends `payload` to `peer` through the relay; held until a permission for the peer exists.
    public func send(_ payload: [UInt8], to peer: TransportAddress, now: Duration) {
        guard isAllocated else { return }
        if let bytes = encapsulate(payload, for: peer) {
            transmits.append(bytes)
            return
        }
        createPermission(for: peer, now: now)
        permissions[peer.ip]?.queued.append((peer, payload))
        if let count = permissions[peer.ip]?.queued.count, count > timing.maxQueuedPerPeer {
            permissions[peer.ip]?.queued.removeFirst()
        }
    }

    /// The datagram for the server that carries `payload` to `peer`, or nil without a permission.
    public func encapsulate(_ payload: [UInt8], for peer: TransportAddress) -> [UInt8]? {
        guard isAllocated else { return nil }
        if let channel = channels[peer], channel.bound {
            // Unpadded over UDP: it is allowed (RFC 8656 §12.5) and saves up to 3 bytes per datagram.
            return try? TURNChannelData(channel: channel.number, payload: payload).encoded(padded: transport == .stream)
        }
        guard permissions[peer.ip]?.installed == true else { return nil }
        let indication = STUNMessage(method: .send, class: .indication, transactionID: .random(using: &random), attributes: [
            .xorPeerAddress(peer), .data(payload),
        ])
        return try? indication.encoded()
    }

    // MARK: Input

    /// Feeds one datagram from `server`. Returns what a peer sent us through the relay; answers to
    /// our requests are consumed, and anything else is dropped.
    public func receive(_ datagram: [UInt8], now: Duration) -> (peer: TransportAddress, payload: [UInt8])? {
        if DatagramKind(classifying: datagram) == .turnChannelData {
            guard isAllocated, let message = try? TURNChannelData(parsing: datagram), let peer = peersByChannel[message.channel] else { return nil }
            return (peer, message.payload)
        }
        guard STUNMessage.looksLikeSTUN(datagram), let message = try? STUNMessage(parsing: datagram) else { return nil }
        switch message.messageClass {
        case .indication:
            guard isAllocated, message.method == .data, let peer = message.xorPeerAddresses.first, let data = message.data else { return nil }
            return (peer, data)
        case .successResponse, .errorResponse:
            handleResponse(message, bytes: datagram, now: now)
            return nil
        case .request:
            return nil
        }
    }

    private func handleResponse(_ response: STUNMessage, bytes: [UInt8], now: Duration) {
        guard let transaction = transactions[response.transactionID], response.method == transaction.purpose.method else { return }
        if response.messageClass == .successResponse {
            // A forged or corrupted success is ignored; the real one may still come.
            guard !transaction.signed || credentials.verify(bytes) else { return }
            transactions[response.transactionID] = nil
            succeeded(transaction.purpose, response: response, now: now)
            return
        }
        transactions[response.transactionID] = nil
        let error = response.errorCode ?? .serverError
        switch error.code {
        case 401 where !transaction.signed, 438 where transaction.staleNonceRetries < Self.maxStaleNonceRetries:
            // The challenge (first Allocate) or a stale nonce: answer with the realm and nonce it carries.
            guard credentials.accept(challenge: response) else { break }
            var request = transaction.request
            request.transactionID = .random(using: &random)
            start(transaction.purpose, request: request, now: now, staleNonceRetries: transaction.staleNonceRetries + (error.code == 438 ? 1 : 0))
            return
        default:
            break
        }
        failed(transaction.purpose, .rejected(transaction.purpose.method, error))
    }

    private func succeeded(_ purpose: Purpose, response: STUNMessage, now: Duration) {
        switch purpose {
        case .allocate:
            guard state == .allocating else { return }
            guard let relayed = response.xorRelayedAddress else {
                fail(.malformedResponse(.allocate))
                return
            }
            state = .allocated(relayed: relayed, mapped: response.xorMappedAddress)
            scheduleRefresh(lifetime: response.lifetime ?? timing.requestedLifetime, now: now)
            events.append(.allocated(relayed: relayed, mapped: response.xorMappedAddress))
            for ip in permissions.keys { requestPermission(for: ip, now: now) }
        case .refresh:
            refreshInFlight = false
            scheduleRefresh(lifetime: response.lifetime ?? timing.requestedLifetime, now: now)
        case .createPermission(let ip):
            guard var permission = permissions[ip] else { return }
            permission.installed = true
            permission.inFlight = false
            permission.refreshAt = now + timing.permissionRefreshInterval
            let queued = permission.queued
            permission.queued.removeAll()
            permissions[ip] = permission
            for (peer, payload) in queued { send(payload, to: peer, now: now) }
        case .channelBind(let number, let peer):
            guard var channel = channels[peer], channel.number == number else { return }
            channel.bound = true
            channel.inFlight = false
            channel.refreshAt = now + timing.channelRefreshInterval
            channels[peer] = channel
        }
    }

    private func failed(_ purpose: Purpose, _ error: TURNClientError) {
        switch purpose {
        case .allocate, .refresh:
            fail(error)
        case .createPermission(let ip):
            // Forget it; the next send to that peer asks again.
            permissions[ip] = nil
        case .channelBind(let number, let peer):
            // Data keeps flowing as Send indications; the permission may have been refreshed by the bind.
            channels[peer] = nil
            peersByChannel[number] = nil
        }
    }

    private func fail(_ error: TURNClientError) {
        guard isAllocated || state == .allocating else { return }
        state = .failed(error)
        transactions.removeAll()
        permissions.removeAll()
        events.append(.failed(error))
    }

    /// Renews a minute before expiry, or halfway through a short lifetime.
    private func scheduleRefresh(lifetime: UInt32, now: Duration) {
        let lifetime = Duration.seconds(Int64(lifetime))
        refreshAt = now + (lifetime > .seconds(120) ? lifetime - .seconds(60) : lifetime / 2)
    }

    // MARK: Time

    public func handleTimeout(now: Duration) {
        guard isAllocated || state == .allocating else { return }
        for (id, var transaction) in transactions where transaction.retransmission.deadline <= now {
            switch transaction.retransmission.fire(now: now) {
            case .giveUp:
                transactions[id] = nil
                failed(transaction.purpose, .timeout(transaction.purpose.method))
            case .retransmit:
                transactions[id] = transaction
                transmits.append(transaction.bytes)
            }
        }
        guard isAllocated else { return }
        if !refreshInFlight, let refreshAt, refreshAt <= now {
            refreshInFlight = true
            start(.refresh, request: STUNMessage(method: .refresh, class: .request, transactionID: .random(using: &random), attributes: [.lifetime(timing.requestedLifetime)]), now: now)
        }
        for (ip, permission) in permissions where !permission.inFlight {
            if let due = permission.refreshAt, due <= now { requestPermission(for: ip, now: now) }
        }
        for (peer, channel) in channels where !channel.inFlight {
            if let due = channel.refreshAt, due <= now { requestChannel(channel.number, for: peer, now: now) }
        }
    }

    /// The stream to the server closed: the server has dropped the allocation with it.
    public func connectionClosed() {
        fail(.connectionClosed)
    }

    /// Deletes the allocation (a Refresh with lifetime 0), sent once: the owner is going away.
    public func close() {
        if isAllocated {
            let request = STUNMessage(method: .refresh, class: .request, transactionID: .random(using: &random), attributes: [.lifetime(0)])
            if let bytes = credentials.encode(request) { transmits.append(bytes) }
        }
        state = .closed
        transactions.removeAll()
        permissions.removeAll()
        channels.removeAll()
        peersByChannel.removeAll()
    }

    // MARK: Requests

    private func requestPermission(for ip: IPAddress, now: Duration) {
        permissions[ip]?.inFlight = true
        // The port of XOR-PEER-ADDRESS is ignored by the server (RFC 8656 §9).
        let request = STUNMessage(method: .createPermission, class: .request, transactionID: .random(using: &random), attributes: [
            .xorPeerAddress(TransportAddress(ip: ip, port: 0)),
        ])
        start(.createPermission(ip), request: request, now: now)
    }

    private func requestChannel(_ number: UInt16, for peer: TransportAddress, now: Duration) {
        channels[peer]?.inFlight = true
        let request = STUNMessage(method: .channelBind, class: .request, transactionID: .random(using: &random), attributes: [
            .channelNumber(number), .xorPeerAddress(peer),
        ])
        start(.channelBind(number, peer), request: request, now: now)
    }

    private func start(_ purpose: Purpose, request: STUNMessage, now: Duration, staleNonceRetries: Int = 0) {
        guard let bytes = credentials.encode(request) else { return }
        transactions[request.transactionID] = Transaction(
            purpose: purpose, request: request, bytes: bytes, signed: credentials.isChallenged,
            retransmission: STUNRetransmission(schedule: transport == .stream ? .reliable : timing.retransmit, now: now),
            staleNonceRetries: staleNonceRetries)
        transmits.append(bytes)
    }
}
