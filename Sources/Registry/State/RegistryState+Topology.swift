import MeshProtocol

extension RegistryState {
    /// Records the DataChannels a sidecar reports open (`mesh_status`).
    public func reportMeshStatus(peerId: String, connectedPeers: [String]) {
        let peers = Set(connectedPeers.filter { $0 != peerId })
        guard meshReports[peerId] != peers else { return }
        meshReports[peerId] = peers
        topologyChanged()
    }

    /// Forgets a sidecar's own report when its signaling connection ends; its peers' reports remain,
    /// so channels that outlive a signaling outage stay visible.
    public func dropMeshStatus(peerId: String) {
        guard meshReports.removeValue(forKey: peerId) != nil else { return }
        topologyChanged()
    }

    /// Schedules one topology event for a burst of changes. Building the topology costs O(agents), so
    /// publishing it on every change would make registering N agents cost O(N²); dashboards get the
    /// settled picture within `topologyEventDelay` instead.
    func topologyChanged() {
        guard !topologyEventPending else { return }
        topologyEventPending = true
        Task {
            try? await Task.sleep(for: Self.topologyEventDelay)
            self.publishTopology()
        }
    }

    private func publishTopology() {
        topologyEventPending = false
        guard events.subscriberCount > 0 else { return }
        events.publish(.topology(topology(now: clock())))
    }

    /// Observed topology: an edge for every channel either end reports.
    public func topology() -> Topology {
        topology(now: clock())
    }

    func topology(now: Double) -> Topology {
        var linked: [String: Set<String>] = [:]
        var edges = Set<TopologyEdge>()
        for (peer, others) in meshReports {
            for other in others {
                linked[peer, default: []].insert(other)
                linked[other, default: []].insert(peer)
                let (a, b) = peer < other ? (peer, other) : (other, peer)
                edges.insert(TopologyEdge(fromPeer: a, toPeer: b))
            }
        }
        let nodes = agents.values.sorted { $0.registeredAt < $1.registeredAt }.map { agent in
            let r = agent.registration
            return TopologyNode(
                agentId: r.agentId, ip: r.ip, port: r.port, hostname: r.hostname, sidecarPeerId: r.sidecarPeerId, mode: r.mode,
                skillsCount: r.capabilities.skills.count, health: AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat),
                meshPeers: linked[r.sidecarPeerId].map { $0.sorted() } ?? [])
        }
        return Topology(nodes: nodes, meshEdges: edges.sorted { ($0.fromPeer, $0.toPeer) < ($1.fromPeer, $1.toPeer) })
    }

    /// Counts for /metrics.
    public func statistics() -> (agentsByHealth: [AgentHealth: Int], tasksByState: [TaskState: Int], records: [RecordKind: Int]) {
        let now = clock()
        var health: [AgentHealth: Int] = [:]
        for agent in agents.values { health[AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat), default: 0] += 1 }
        var states: [TaskState: Int] = [:]
        for task in tasks.values { states[task.state, default: 0] += 1 }
        let records: [RecordKind: Int] = [.agent: agents.count, .task: tasks.count, .pairing: pairings.count, .code: codes.count, .owner: owners.count, .apiKey: apiKeys.count]
        return (health, states, records)
    }
}
