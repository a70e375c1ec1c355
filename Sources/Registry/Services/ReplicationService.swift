import Logging
import ServiceLifecycle

/// Connects this registry to the other replicas on its store: their committed records go into the state,
/// their signaling into the hub, their rate-limit counts into the limiters. Runs only when the store is shared
/// (PostgreSQL).
struct ReplicationService: Service {
    let link: any ReplicaLink
    let state: RegistryState
    let signaling: SignalingHub
    let rateLimiters: [RateLimiter]
    /// How often the hits counted here go to the other replicas: how far a cluster can overshoot a limit.
    static let hitsReportInterval: Duration = .milliseconds(200)
    /// Keys per report, so that a report fits in one notification.
    static let keysPerReport = 100
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

    /// Sends the hits each limiter counted here, every `hitsReportInterval`, until cancelled.
    private static func reportHits(of limiters: [RateLimiter], through link: any ReplicaLink) async {
        for limiter in limiters { _ = limiter.takeUnreported() }
        while !Task.isCancelled {
            try? await Task.sleep(for: hitsReportInterval)
            for limiter in limiters {
                let hits = limiter.takeUnreported()
                guard !hits.isEmpty else { continue }
                var keys = hits.keys.makeIterator()
                while true {
                    var chunk: [String: Int] = [:]
                    while chunk.count < keysPerReport, let key = keys.next() { chunk[key] = hits[key] }
                    if chunk.isEmpty { break }
                    link.send(.hits(limiter: limiter.name, counts: chunk))
                }
            }
        }
    }

    func run() async throws {
        let (link, state, signaling) = (self.link, self.state, self.signaling)
        let limiters = Dictionary(rateLimiters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let work = Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await link.run { event in
                        switch event {
                        case .records(let keys): await close(state.applyReplicated(keys))
                        case .resync: await close(state.resync())
                        case .signal(.progress(let taskId, let text)): await state.applyReplicatedProgress(of: taskId, text: text)
                        case .signal(.meshStatus(let peerId, let peers)): await state.reportMeshStatus(peerId: peerId, connectedPeers: peers)
                        case .signal(.hits(let name, let counts)): limiters[name]?.absorb(counts)
                        case .signal(let signal): await signaling.receive(signal)
                        }
                    }
                }
                group.addTask { await signaling.announcePeers(every: .seconds(2)) }
                group.addTask { await Self.reportHits(of: Array(limiters.values), through: link) }
            }
        }
        try? await gracefulShutdown()
        work.cancel()
        await work.finish(waitingAtMost: Self.stopGrace)
    }
}
