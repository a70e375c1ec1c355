import Foundation
import MeshProtocol

extension RegistryState {
    /// Whether this registry runs the mesh-wide sweeps: always when it is alone on its store, else only
    /// while it leads the replicas.
    var runsMeshSweeps: Bool { store.replication?.isLeader ?? true }

    /// Credentials another replica revoked: the connections they opened here must close.
    public struct Revocations: Sendable {
        public var keyIds: [String] = []
        public var peerIds: [String] = []
    }

    /// Takes in records another replica committed: memory becomes what the database holds, this replica's
    /// hub streams hear of the change, and a pending task goes to a long-poll claim waiting here. Returns the
    /// keys and pairings that became revoked, whose open connections here must close.
    @discardableResult
    public func applyReplicated(_ keys: Set<RecordKey>) async -> Revocations {
        let before = Dictionary(uniqueKeysWithValues: keys.compactMap { key in key.kind == .agent ? agents[key.id].map { (key.id, $0) } : nil })
        let liveKeys = Set(keys.filter { $0.kind == .apiKey && apiKeys[$0.id]?.revokedAt == nil }.map(\.id))
        let livePairings = Set(keys.filter { $0.kind == .pairing && pairings[$0.id]?.entry.status != .revoked }.map(\.id))
        var revoked = Revocations()
        do {
            try await reload(keys, skippingInFlight: true)
        } catch {
            unsettled.formUnion(keys)
            return revoked
        }
        revoked.keyIds = liveKeys.filter { apiKeys[$0]?.revokedAt != nil }.sorted()
        revoked.peerIds = livePairings.compactMap { id in pairings[id].flatMap { $0.entry.status == .revoked ? $0.entry.peerId : nil } }.sorted()
        let now = clock()
        var agentsChanged = false
        var pending: [String] = []
        for key in keys {
            switch key.kind {
            case .agent:
                if let agent = agents[key.id] {
                    lastHealth[key.id] = AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat)
                    guard before[key.id]?.registration != agent.registration else { continue }
                    events.publish(.agent(record(agent, now: now)))
                    agentsChanged = true
                } else if before[key.id] != nil {
                    events.publish(.agentRemoved(key.id))
                    agentsChanged = true
                }
            case .task:
                guard let task = tasks[key.id] else { continue }
                events.publish(.task(task))
                if task.state == .pending { pending.append(task.id) }
                if task.state == .canceled, !task.assignedAgentId.isEmpty {
                    canceledAssignments[task.assignedAgentId, default: []].insert(task.id)
                }
            case .pairing:
                if let pairing = pairings[key.id] { events.publish(.pairing(pairing.entry)) }
            case .code, .owner, .apiKey:
                break
            }
        }
        if agentsChanged { topologyChanged() }
        for id in pending { await offerReplicatedTask(id) }
        return revoked
    }

    /// Passes on the answer so far that an agent reported on another replica, while the task is still
    /// being worked on here too.
    func applyReplicatedProgress(of taskId: String, text: String) {
        guard tasks[taskId]?.state == .assigned else { return }
        events.publish(.taskProgress(taskId, text: text))
    }

    /// Catches up with changes that were never announced (the link was down): every record whose version
    /// differs from the one in memory, and every record gone from the database, is taken in as above.
    func resync() async -> Revocations {
        let stored: [StoredRecord]
        do {
            stored = try await store.loadAll()
        } catch {
            logger.warning("could not compare with the database after reconnecting", metadata: ["error": "\(error)"])
            return Revocations()
        }
        let present = Set(stored.map(\.key))
        var changed = Set(stored.filter { journal.version(of: $0.key) != $0.version }.map(\.key))
        changed.formUnion(knownKeys.subtracting(present))
        return changed.isEmpty ? Revocations() : await applyReplicated(changed)
    }

    /// Every record held in memory.
    private var knownKeys: Set<RecordKey> {
        var keys: Set<RecordKey> = []
        for id in agents.keys { keys.insert(RecordKey(kind: .agent, id: id)) }
        for id in owners.keys { keys.insert(RecordKey(kind: .owner, id: id)) }
        for id in tasks.keys { keys.insert(RecordKey(kind: .task, id: id)) }
        for id in pairings.keys { keys.insert(RecordKey(kind: .pairing, id: id)) }
        for id in codes.keys { keys.insert(RecordKey(kind: .code, id: id)) }
        for id in apiKeys.keys { keys.insert(RecordKey(kind: .apiKey, id: id)) }
        return keys
    }

    /// Gives a task another replica queued to a claim waiting here. Each offer commits on its own, so losing
    /// the race for one task (another replica's claimer took it) costs only that one: the claimer is answered
    /// with no task and asks again.
    private func offerReplicatedTask(_ id: String) async {
        guard var task = tasks[id], task.state == .pending, let waiter = offerToWaiter(&task) else { return }
        task.updatedAt = clock()
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        do {
            try await persist(mutations)
        } catch {
            waiter.continuation.resume(returning: [])
            return
        }
        waiter.continuation.resume(returning: [task])
        events.publish(.task(task))
    }
}
