import Foundation
import Logging
import MeshProtocol

/// The signaling relay: one connection per peer id, relaying offers, answers and candidates between
/// connected peers, announcing joins and leaves, and collecting `mesh_status` reports for the topology.
public actor SignalingHub {
    struct Connection {
        let id: UUID
        let identity: Identity
        let queue: OutboundQueue
        var registered = false
        /// When it registered (epoch seconds): among replicas, the latest registration of a peer id wins.
        var registeredAt = 0.0
    }

    let state: RegistryState
    let metrics: RegistryMetrics
    let logger: Logger
    var connections: [String: Connection] = [:]
    /// Among replicas: the other replicas and the peers registered on each (see `SignalingHub+Replicas.swift`).
    let link: (any ReplicaLink)?
    var remotePeers: [String: RemotePeer] = [:]
    static let maxFrameBytes = 64 << 10

    struct RemotePeer {
        let replica: String
        var seen: ContinuousClock.Instant
    }

    init(state: RegistryState, metrics: RegistryMetrics, logger: Logger) {
        self.state = state
        self.metrics = metrics
        self.logger = logger
        link = state.store.replication
    }

    /// Adds a connection; an existing one with the same peer id is replaced and closed.
    func attach(_ identity: Identity, queue: OutboundQueue) -> UUID {
        let id = UUID()
        if let old = connections[identity.peerId] {
            old.queue.close(code: 4000, reason: "replaced by a newer connection")
            logger.info("signaling connection replaced", metadata: ["peer_id": "\(identity.peerId)"])
        }
        connections[identity.peerId] = Connection(id: id, identity: identity, queue: queue)
        metrics.signalingConnections.set(Double(connections.count))
        return id
    }

    /// Removes a connection when its socket ends; peers hear `peer_left` if it had registered.
    func detach(peerId: String, connectionId: UUID) async {
        guard let connection = connections[peerId], connection.id == connectionId else { return }
        connections[peerId] = nil
        metrics.signalingConnections.set(Double(connections.count))
        if connection.registered {
            broadcast(SignalingMessage(peerId: "registry", .peerLeft(peerId)), except: peerId)
            tellReplicas(.left(peerId: peerId, replica: link?.replicaId ?? ""))
        }
        await state.dropMeshStatus(peerId: peerId)
        logger.info("signaling peer left", metadata: ["peer_id": "\(peerId)"])
    }

    /// Closes a peer's connection (its pairing was revoked).
    public func disconnect(peerId: String, reason: String) {
        connections[peerId]?.queue.close(code: 4003, reason: reason)
    }

    /// Closes the connections authenticated by an API key (it was revoked).
    public func disconnect(keyId: String, reason: String) {
        for connection in connections.values where connection.identity.keyId == keyId {
            connection.queue.close(code: 4003, reason: reason)
        }
    }

    public var connectedPeers: [String] { connections.keys.sorted() }

    /// Handles one text frame from `peerId`'s connection.
    func handle(_ text: String, from peerId: String, connectionId: UUID) async {
        guard let connection = connections[peerId], connection.id == connectionId else { return }
        let metrics = self.metrics
        let reply = { (error: String) in
            metrics.signalingRefused.increment()
            connection.queue.send(Self.errorFrame(error))
        }
        guard text.utf8.count <= Self.maxFrameBytes else { return reply("frame exceeds 64 KiB") }
        guard let frame = SignalingFrame(text) else {
            return reply("invalid signaling frame: expected {\"type\", \"peer_id\", \"target_id\"?, \"payload\"}")
        }
        guard frame.peerId == peerId else { return reply("peer_id '\(frame.peerId)' does not match the token's subject") }

        switch frame.type {
        case .register:
            let isNew = !connection.registered
            connections[peerId]?.registered = true
            let now = Date().timeIntervalSince1970
            if isNew { connections[peerId]?.registeredAt = now }
            connection.queue.send(Self.encode(SignalingMessage(peerId: "registry", .peerList(peerList(for: peerId)))))
            if isNew {
                // A peer that moved here from another replica is no longer that replica's.
                let moved = remotePeers.removeValue(forKey: peerId) != nil
                if !moved { broadcast(SignalingMessage(peerId: "registry", .peerJoined(peerId)), except: peerId) }
                tellReplicas(.joined(peerId: peerId, replica: link?.replicaId ?? "", at: now))
                logger.info("signaling peer registered", metadata: ["peer_id": "\(peerId)"])
            }
        case let type where type.isRelayed:
            guard let target = frame.targetId, !target.isEmpty else { return reply("\(type.rawValue) needs a target_id") }
            if let destination = connections[target] {
                destination.queue.send(frame.relayed)
            } else if remotePeers[target] != nil {
                tellReplicas(.frame(target: target, text: frame.relayed))
            } else {
                return reply("unknown target peer '\(target)'")
            }
            metrics.relayedMessages.increment()
        case .heartbeat:
            break
        case .meshStatus:
            guard case .meshStatus(let peers)? = frame.body else {
                return reply("mesh_status needs payload.connected_peers (an array of peer ids)")
            }
            await state.reportMeshStatus(peerId: peerId, connectedPeers: peers)
            tellReplicas(.meshStatus(peerId: peerId, peers: peers))
        default:
            reply("unknown message type '\(frame.type.rawValue)'")
        }
    }

    /// Every registered peer but `peerId`, here and on the other replicas.
    func peerList(for peerId: String) -> [String] {
        Set(connections.filter { $0.key != peerId && $0.value.registered }.keys).union(remotePeers.keys).subtracting([peerId]).sorted()
    }

    func broadcast(_ message: SignalingMessage, except peerId: String) {
        let frame = Self.encode(message)
        for (id, connection) in connections where id != peerId && connection.registered {
            connection.queue.send(frame)
        }
    }

    static func encode(_ message: SignalingMessage) -> String {
        String(decoding: (try? JSONEncoder().encode(message)) ?? Data(), as: UTF8.self)
    }

    static func errorFrame(_ error: String) -> String {
        encode(SignalingMessage(peerId: "registry", .error(error)))
    }
}
