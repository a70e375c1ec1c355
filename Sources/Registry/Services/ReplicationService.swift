import Logging
import ServiceLifecycle

/// Connects this registry to the other replicas on its store: their committed records go into the state,
/// their signaling into the hub. Runs only when the store is shared (PostgreSQL).
struct ReplicationService: Service {
    let link: any ReplicaLink
    let state: RegistryState
    let signaling: SignalingHub
    /// How long shutdown waits for the link to let go (a listening connection may not notice at once).
    static let stopGrace: Duration = .seconds(1)

    /// Closes the WebSockets (signaling, hub events) opened here with credentials revoked on another replica.
    private func close(_ revoked: RegistryState.Revocations) async {
        for keyId in revoked.keyIds {
            await signaling.disconnect(keyId: keyId, reason: "API key revoked")
            state.events.disconnect(keyId: keyId, reason: "API key revoked")
        }
        for peerId in revoked.peerIds { await signaling.disconnect(peerId: peerId, reason: "pairing revoked") }
    }

    func run() async throws {
        let (link, state, signaling) = (self.link, self.state, self.signaling)
        let work = Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await link.run { event in
                        switch event {
                        case .records(let keys): await close(state.applyReplicated(keys))
                        case .resync: await close(state.resync())
                        case .signal(.progress(let taskId, let text)): await state.applyReplicatedProgress(of: taskId, text: text)
                        case .signal(.meshStatus(let peerId, let peers)): await state.reportMeshStatus(peerId: peerId, connectedPeers: peers)
                        case .signal(let signal): await signaling.receive(signal)
                        }
                    }
                }
                group.addTask { await signaling.announcePeers(every: .seconds(2)) }
            }
        }
        try? await gracefulShutdown()
        work.cancel()
        await work.finish(waitingAtMost: Self.stopGrace)
    }
}
