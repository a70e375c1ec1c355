import STUN
import TURN

/// A small in-test TURN server (RFC 8656 over UDP) with long-term credentials, enough to exercise the
/// client: Allocate with the 401 challenge, Refresh, CreatePermission, ChannelBind, Send and Data
/// indications, ChannelData both ways, expiry on a virtual clock, and Binding for server-reflexive
/// discovery. It counts what it saw so tests can assert on the traffic.
final class TURNServerSimulation {
    struct Datagram {
        let from: TransportAddress
        let to: TransportAddress
        let payload: [UInt8]
    }

    struct Allocation {
        let relayed: TransportAddress
        let username: String
        var expiresAt: Duration
        var permissions: [IPAddress: Duration] = [:]
        var channels: [UInt16: TransportAddress] = [:]
    }

    let address: TransportAddress
    let realm = "sim.test"
    var users: [String: String]
    var grantedLifetime: UInt32 = 600
    private(set) var nonce = "nonce-0"
    private var nonceCount = 0
    private(set) var allocations: [TransportAddress: Allocation] = [:]
    private(set) var requests: [STUNMethod: Int] = [:]
    private(set) var staleNonceAnswers = 0
    private(set) var channelDataFromClients = 0
    private(set) var sendIndications = 0
    private var nextRelayPort: UInt16 = 50000

    static let permissionLifetime: Duration = .seconds(300)
    static let channelLifetime: Duration = .seconds(600)

    init(address: TransportAddress, users: [String: String]) {
        self.address = address
        self.users = users
    }

    /// Makes the current nonce stale: the next request carrying it gets 438.
    func rotateNonce() {
        nonceCount += 1
        nonce = "nonce-\(nonceCount)"
    }

    func owns(_ destination: TransportAddress) -> Bool {
        destination == address || allocations.values.contains { $0.relayed == destination }
    }

    func liveAllocations(now: Duration) -> [Allocation] {
        allocations.values.filter { $0.expiresAt > now }
    }

    /// One datagram arriving at `destination` (our address or a relayed one); returns what we send.
    func receive(_ payload: [UInt8], from source: TransportAddress, to destination: TransportAddress, now: Duration) -> [Datagram] {
        allocations = allocations.filter { $0.value.expiresAt > now }
        if destination != address { return relayFromPeer(payload, from: source, to: destination, now: now) }
        if DatagramKind(classifying: payload) == .turnChannelData {
            guard let message = try? TURNChannelData(parsing: payload), let allocation = allocations[source],
                let peer = allocation.channels[message.channel], permitted(peer, in: allocation, now: now)
            else { return [] }
            channelDataFromClients += 1
            return [Datagram(from: allocation.relayed, to: peer, payload: message.payload)]
        }
        guard let message = try? STUNMessage(parsing: payload) else { return [] }
        if message.messageClass == .indication {
            guard message.method == .send, let allocation = allocations[source], let peer = message.xorPeerAddresses.first,
                let data = message.data, permitted(peer, in: allocation, now: now)
            else { return [] }
            sendIndications += 1
            return [Datagram(from: allocation.relayed, to: peer, payload: data)]
        }
        guard message.messageClass == .request else { return [] }
        requests[message.method, default: 0] += 1
        if message.method == .binding {
            return reply(message.successResponse(attributes: [.xorMappedAddress(source)]), to: source, key: nil)
        }
        return handleAuthenticated(message, bytes: payload, from: source, now: now)
    }

    private func handleAuthenticated(_ request: STUNMessage, bytes: [UInt8], from source: TransportAddress, now: Duration) -> [Datagram] {
        let challenge: [STUNAttribute] = [.realm(realm), .nonce(nonce)]
        guard request.messageIntegrity != nil, let username = request.username, let password = users[username] else {
            return reply(request.errorResponse(.unauthorized, attributes: challenge), to: source, key: nil)
        }
        guard request.nonce == nonce else {
            staleNonceAnswers += 1
            return reply(request.errorResponse(.staleNonce, attributes: challenge), to: source, key: nil)
        }
        let key = STUNKey.longTerm(username: username, realm: realm, password: password)
        guard STUNMessage.verifyIntegrity(of: bytes, key: key) == .valid else {
            return reply(request.errorResponse(.unauthorized, attributes: challenge), to: source, key: nil)
        }
        switch request.method {
        case .allocate:
            guard allocations[source] == nil else { return reply(request.errorResponse(.allocationMismatch), to: source, key: key) }
            guard request.requestedTransport == STUNAttribute.udpProtocolNumber else {
                return reply(request.errorResponse(.unsupportedTransportProtocol), to: source, key: key)
            }
            let relayed = TransportAddress(ip: address.ip, port: nextRelayPort)
            nextRelayPort += 1
            allocations[source] = Allocation(relayed: relayed, username: username, expiresAt: now + .seconds(Int64(grantedLifetime)))
            return reply(
                request.successResponse(attributes: [.xorRelayedAddress(relayed), .xorMappedAddress(source), .lifetime(grantedLifetime)]),
                to: source, key: key)
        case .refresh:
            guard allocations[source] != nil else { return reply(request.errorResponse(.allocationMismatch), to: source, key: key) }
            let lifetime = min(request.lifetime ?? grantedLifetime, grantedLifetime)
            if lifetime == 0 {
                allocations[source] = nil
            } else {
                allocations[source]?.expiresAt = now + .seconds(Int64(lifetime))
            }
            return reply(request.successResponse(attributes: [.lifetime(lifetime)]), to: source, key: key)
        case .createPermission:
            guard allocations[source] != nil, !request.xorPeerAddresses.isEmpty else {
                return reply(request.errorResponse(.badRequest), to: source, key: key)
            }
            for peer in request.xorPeerAddresses { allocations[source]?.permissions[peer.ip] = now + Self.permissionLifetime }
            return reply(request.successResponse(), to: source, key: key)
        case .channelBind:
            guard allocations[source] != nil, let number = request.channelNumber, TURNChannelData.validChannels.contains(number),
                let peer = request.xorPeerAddresses.first
            else { return reply(request.errorResponse(.badRequest), to: source, key: key) }
            allocations[source]?.channels[number] = peer
            allocations[source]?.permissions[peer.ip] = now + Self.permissionLifetime
            return reply(request.successResponse(), to: source, key: key)
        default:
            return reply(request.errorResponse(.badRequest), to: source, key: key)
        }
    }

    private func relayFromPeer(_ payload: [UInt8], from peer: TransportAddress, to relayed: TransportAddress, now: Duration) -> [Datagram] {
        guard let (client, allocation) = allocations.first(where: { $0.value.relayed == relayed }), permitted(peer, in: allocation, now: now) else {
            return []
        }
        if let channel = allocation.channels.first(where: { $0.value == peer })?.key,
            let bytes = try? TURNChannelData(channel: channel, payload: payload).encoded()
        {
            return [Datagram(from: address, to: client, payload: bytes)]
        }
        let indication = STUNMessage(method: .data, class: .indication, transactionID: .random(), attributes: [.xorPeerAddress(peer), .data(payload)])
        guard let bytes = try? indication.encoded() else { return [] }
        return [Datagram(from: address, to: client, payload: bytes)]
    }

    private func permitted(_ peer: TransportAddress, in allocation: Allocation, now: Duration) -> Bool {
        (allocation.permissions[peer.ip] ?? .zero) > now
    }

    private func reply(_ response: STUNMessage, to client: TransportAddress, key: STUNKey?) -> [Datagram] {
        guard let bytes = try? response.encoded(integrityKey: key, fingerprint: true) else { return [] }
        return [Datagram(from: address, to: client, payload: bytes)]
    }
}
