import MeshProtocol

/// Signaling across replicas: each replica relays for the peers connected to it and learns the others'
/// peers from the link, so peer lists, `peer_joined`/`peer_left` and relayed frames are mesh-wide.
extension SignalingHub {
    /// A replica that has not announced its peers for this long is gone, and so are its peers.
    static let replicaSilence: Duration = .seconds(7)

    /// Sends to the other replicas, in order, without holding up this actor (the link queues it).
    func tellReplicas(_ signal: ReplicaSignal) {
        link?.send(signal)
    }

    /// What another replica says about its peers.
    func receive(_ signal: ReplicaSignal) async {
        let now = ContinuousClock.now
        switch signal {
        case .joined(let peerId, let replica, let at):
            // The latest registration of a peer id wins, wherever it is: an older one here closes quietly
            // (the peer has not left the mesh); a newer one here stays, and the other replica closes its own
            // when it hears of ours.
            // A connection here that has not registered yet is newer still: when it registers, the other
            // replica hears of it and closes its own (a late notice must not close it first).
            if let local = connections[peerId], !local.registered || local.registeredAt > at { return }
            if let old = connections.removeValue(forKey: peerId) {
                old.queue.close(code: 4000, reason: "replaced by a newer connection")
                metrics.signalingConnections.set(Double(connections.count))
                logger.info("signaling connection replaced by one on another replica", metadata: ["peer_id": "\(peerId)", "replica": "\(replica)"])
                remotePeers[peerId] = RemotePeer(replica: replica, seen: now)
            } else {
                let isNew = remotePeers[peerId] == nil
                remotePeers[peerId] = RemotePeer(replica: replica, seen: now)
                if isNew { announceRemoteJoin(of: peerId, registeredAt: at) }
            }
        case .left(let peerId, let replica):
            guard remotePeers[peerId]?.replica == replica else { return }
            await forgetRemote(peerId)
        case .frame(let target, let text):
            connections[target]?.queue.send(text)
        case .alive(let replica, let peers):
            let listed = Set(peers)
            for peerId in listed where connections[peerId] == nil {
                if remotePeers[peerId] == nil { broadcast(SignalingMessage(peerId: "registry", .peerJoined(peerId)), except: peerId) }
                remotePeers[peerId] = RemotePeer(replica: replica, seen: now)
            }
            for (peerId, peer) in remotePeers where peer.replica == replica && !listed.contains(peerId) { await forgetRemote(peerId) }
        case .meshStatus, .progress, .hits:
            break  // the state's and the rate limiters' (ReplicationService hands them there)
        }
    }

    /// Every `interval`, tells the other replicas which peers are registered here and forgets the peers of
    /// replicas that went silent (killed, or cut off from the database).
    func announcePeers(every interval: Duration) async {
        guard let link else { return }
        while !Task.isCancelled {
            let peers = connections.filter(\.value.registered).keys.sorted()
            tellReplicas(.alive(replica: link.replicaId, peers: peers))
            let deadline = ContinuousClock.now - Self.replicaSilence
            for (peerId, peer) in remotePeers where peer.seen < deadline { await forgetRemote(peerId) }
            try? await Task.sleep(for: interval)
        }
    }

    /// Of two peers, the one that registered later offers (it is sent a `peer_list` naming the other; the
    /// other hears `peer_joined` and waits). Peers registering on two replicas at the same moment may each
    /// have missed the other in their first `peer_list`: the one here that registered after `peerId` gets a
    /// fresh `peer_list`, so exactly one of the two offers.
    private func announceRemoteJoin(of peerId: String, registeredAt at: Double) {
        let joined = Self.encode(SignalingMessage(peerId: "registry", .peerJoined(peerId)))
        for (id, connection) in connections where id != peerId && connection.registered {
            if (connection.registeredAt, id) > (at, peerId) {
                connection.queue.send(Self.encode(SignalingMessage(peerId: "registry", .peerList(peerList(for: id)))))
            } else {
                connection.queue.send(joined)
            }
        }
    }

    private func forgetRemote(_ peerId: String) async {
        remotePeers[peerId] = nil
        broadcast(SignalingMessage(peerId: "registry", .peerLeft(peerId)), except: peerId)
        await state.dropMeshStatus(peerId: peerId)
    }
}
