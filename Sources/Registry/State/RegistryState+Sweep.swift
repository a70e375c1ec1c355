import Foundation
import MeshProtocol

extension RegistryState {
    /// Expires tasks past their TTL, takes tasks back from agents whose lease ran out, drops expired invite
    /// codes, stores refreshed heartbeat timestamps, reports health changes and, once a minute, prunes what
    /// is past retention. Among replicas, the mesh-wide part (everything but heartbeats and health) runs on
    /// the leader only.
    /// Runs about every 250 ms; `now` is injectable so tests drive it with a virtual clock.
    public func sweep(now: Double) async throws {
        await settle()
        var mutations: [StoreMutation] = []
        var changedTasks: [MeshTask] = []
        // Among replicas, only the leader expires, requeues and prunes: each change is made once.
        let meshWide = runsMeshSweeps
        for id in openTaskIds where meshWide {
            guard var task = tasks[id] else { continue }
            if task.state == .inputRequired, now - task.updatedAt >= Double(task.ttl) {
                task.state = .failed
                task.error = "no input within the TTL"
            } else if task.state != .inputRequired, now - task.turnStartedAt >= Double(task.ttl) {
                task.state = .failed
                task.error = "TTL expired"
            } else if task.state == .assigned, leaseExpired(task, now: now) {
                metrics.leaseExpiries.increment()
                logger.warning("task lease expired", metadata: ["task_id": "\(task.id)", "agent_id": "\(task.assignedAgentId)", "attempts": "\(task.attempts + 1)"])
                takeBack(&task, reason: "the lease of agent \(task.assignedAgentId) expired (it stopped heartbeating)", now: now)
            } else {
                continue
            }
            task.updatedAt = now
            if task.state == .pending { logger.info("task requeued", metadata: ["task_id": "\(task.id)", "attempts": "\(task.attempts)"]) }
            let waiter = task.state == .pending ? offerToWaiter(&task) : nil
            store(task, into: &mutations)
            changedTasks.append(task)
            waiter?.continuation.resume(returning: [task])
        }
        for (code, stored) in codes where meshWide && stored.expiresAt <= now {
            codes[code] = nil
            mutations.append(.delete(.code, id: code))
        }
        if now - heartbeatsStoredAt >= Self.heartbeatStoreInterval {
            for id in heartbeatsToStore {
                if let agent = agents[id] { mutations.append(.put(.agent, id: id, body: JSONEncoder.body(agent))) }
            }
            heartbeatsToStore.removeAll(keepingCapacity: true)
            heartbeatsStoredAt = now
        }
        var removedAgents: [String] = []
        if meshWide, now - retentionSweptAt >= Self.retentionInterval {
            retentionSweptAt = now
            removedAgents = prune(now: now, into: &mutations)
        }
        var healthChanged: [AgentRecord] = []
        for (id, agent) in agents {
            let health = AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat)
            if lastHealth[id] != health {
                lastHealth[id] = health
                healthChanged.append(record(agent, now: now))
            }
        }
        try await persist(mutations)
        for task in changedTasks {
            if task.state == .failed { logger.info("task failed in the sweep", metadata: ["task_id": "\(task.id)", "error": "\(task.error)"]) }
            events.publish(.task(task))
        }
        for agent in healthChanged { events.publish(.agent(agent)) }
        for id in removedAgents { events.publish(.agentRemoved(id)) }
        if !healthChanged.isEmpty || !removedAgents.isEmpty { topologyChanged() }
    }

    /// An assignment is leased to its agent and renewed by every heartbeat of that agent.
    func leaseExpired(_ task: MeshTask, now: Double) -> Bool {
        let renewed = max(task.updatedAt, agents[task.assignedAgentId]?.lastHeartbeat ?? 0)
        return now - renewed >= limits.taskLeaseSeconds
    }

    /// Drops finished tasks and decided pairing entries past retention (and finished tasks beyond the
    /// count limit, oldest first), and agents offline for longer than retention (their ownership stays).
    /// Returns the ids of the agents removed.
    private func prune(now: Double, into mutations: inout [StoreMutation]) -> [String] {
        let cutoff = now - limits.retentionSeconds
        var finished = tasks.values.filter { $0.state.isFinal }
        finished.sort { ($0.updatedAt, $0.createdAt, $0.id) > ($1.updatedAt, $1.createdAt, $1.id) }
        for (rank, task) in finished.enumerated() where rank >= limits.maxFinishedTasks || task.updatedAt < cutoff {
            tasks[task.id] = nil
            mutations.append(.delete(.task, id: task.id))
        }
        // Approved entries are live credentials; every other one is dropped once it is older than retention.
        for pairing in pairings.values where pairing.entry.status != .approved && pairing.entry.updatedAt < cutoff {
            pairings[pairing.entry.id] = nil
            pairingByPeerId[pairing.entry.peerId] = nil
            mutations.append(.delete(.pairing, id: pairing.entry.id))
        }
        let gone = agents.values.filter { $0.lastHeartbeat < cutoff }.map(\.registration.agentId)
        for id in gone {
            agents[id] = nil
            lastHealth[id] = nil
            heartbeatsToStore.remove(id)
            mutations.append(.delete(.agent, id: id))
        }
        return gone
    }
}
