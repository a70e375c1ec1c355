import Foundation
import Logging
import MeshProtocol

/// The registry's state: agents and their owners, tasks, pairing and observed mesh links, owned by one actor.
///
/// Every change is applied in memory, appended to the journal in the same isolated step (so the journal's
/// order is the state's order), and acknowledged only after the journal reports it durable. A change whose
/// commit fails is undone in memory from the stored records and answered 503.
public actor RegistryState {
    let journal: Journal
    nonisolated let store: any RegistryStore
    nonisolated let events: HubEventBus
    let logger: Logger
    let clock: @Sendable () -> Double
    let limits: RegistryLimits
    let metrics: RegistryMetrics

    var agents: [String: StoredAgent] = [:]
    var owners: [String: StoredOwnership] = [:]
    var lastHealth: [String: AgentHealth] = [:]
    var tasks: [String: MeshTask] = [:]
    /// Ids of tasks that are not final, for the TTL and lease sweeps.
    var openTaskIds: Set<String> = []
    var claimWaiters: [UUID: ClaimWaiter] = [:]
    /// Per agent, its assigned tasks canceled since its last heartbeat (told in the heartbeat's answer).
    var canceledAssignments: [String: Set<String>] = [:]
    var pairings: [String: StoredPairing] = [:]
    var pairingByTokenHash: [String: String] = [:]
    var pairingByPeerId: [String: String] = [:]
    var codes: [String: StoredCode] = [:]
    var apiKeys: [String: StoredAPIKey] = [:]
    /// The keys by hash, readable outside the actor: what every request authenticates against.
    nonisolated let keyIndex = KeyIndex()
    /// Observed open DataChannels, as each sidecar last reported them.
    var meshReports: [String: Set<String>] = [:]
    /// Agents whose last heartbeat only refreshed liveness; the sweep stores their timestamps every
    /// `heartbeatStoreInterval` (health after a restart needs them only to within seconds).
    var heartbeatsToStore: Set<String> = []
    var heartbeatsStoredAt = 0.0
    static let heartbeatStoreInterval = 5.0
    var topologyEventPending = false
    static let topologyEventDelay: Duration = .milliseconds(100)
    /// Records whose failed change could not be undone in memory because the store was unreachable too; the
    /// sweep reloads them once it answers again.
    var unsettled: Set<RecordKey> = []
    var retentionSweptAt = 0.0
    static let retentionInterval = 60.0

    struct ClaimWaiter {
        let agentId: String
        let skills: Set<String>
        let credential: String
        let continuation: CheckedContinuation<[MeshTask], any Error>
    }

    init(
        journal: Journal, store: any RegistryStore, events: HubEventBus, logger: Logger, limits: RegistryLimits, metrics: RegistryMetrics,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.journal = journal
        self.store = store
        self.events = events
        self.logger = logger
        self.limits = limits
        self.metrics = metrics
        self.clock = clock
    }

    /// Rebuilds the state from stored records; a record that no longer decodes is logged and skipped.
    func load(_ records: [StoredRecord]) {
        journal.track(records)
        for record in records { restore(record) }
        // Databases from before ownership records: the owner was kept inside the agent record.
        for record in records where record.kind == .agent && owners[record.id] == nil {
            guard let legacy = try? JSONDecoder().decode(LegacyOwner.self, from: Data(record.body.utf8)), let agent = agents[record.id] else { continue }
            owners[record.id] = StoredOwnership(agentId: record.id, owner: legacy.owner ?? "", since: agent.registeredAt)
        }
        let now = clock()
        for (id, agent) in agents { lastHealth[id] = AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat) }
        logger.info("state loaded", metadata: ["agents": "\(agents.count)", "tasks": "\(tasks.count)", "pairings": "\(pairings.count)"])
    }

    private struct LegacyOwner: Decodable {
        let owner: String?
    }

    /// Puts one stored record into memory, replacing what is there.
    func restore(_ record: StoredRecord) {
        let data = Data(record.body.utf8)
        let decoder = JSONDecoder()
        do {
            switch record.kind {
            case .agent:
                let agent = try decoder.decode(StoredAgent.self, from: data)
                agents[agent.registration.agentId] = agent
            case .owner:
                let ownership = try decoder.decode(StoredOwnership.self, from: data)
                owners[ownership.agentId] = ownership
            case .task:
                let task = try decoder.decode(MeshTask.self, from: data)
                tasks[task.id] = task
                if task.state.isFinal { openTaskIds.remove(task.id) } else { openTaskIds.insert(task.id) }
            case .pairing:
                index(try decoder.decode(StoredPairing.self, from: data))
            case .code:
                let code = try decoder.decode(StoredCode.self, from: data)
                codes[code.code] = code
            case .apiKey:
                index(try decoder.decode(StoredAPIKey.self, from: data))
            }
        } catch {
            logger.error("skipping unreadable stored record", metadata: ["kind": "\(record.kind)", "id": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Removes a record that the store does not hold from memory.
    func forget(_ key: RecordKey) {
        switch key.kind {
        case .agent:
            agents[key.id] = nil
            lastHealth[key.id] = nil
        case .owner: owners[key.id] = nil
        case .task:
            tasks[key.id] = nil
            openTaskIds.remove(key.id)
        case .pairing:
            if let pairing = pairings.removeValue(forKey: key.id) {
                pairingByPeerId[pairing.entry.peerId] = nil
                if let hash = pairing.deviceTokenHash { pairingByTokenHash[hash] = nil }
            }
        case .code: codes[key.id] = nil
        case .apiKey:
            if let apiKey = apiKeys.removeValue(forKey: key.id) {
                keyIndex.remove(hash: apiKey.hash, id: apiKey.id)
            }
        }
    }

    /// Replaces these records in memory with what the store holds. With `skippingInFlight`, a record this
    /// replica is writing, or wrote while the load ran, is left alone: memory is at least as new for it, and
    /// a write of it that fails (the record changed meanwhile) reloads it.
    func reload(_ keys: Set<RecordKey>, skippingInFlight: Bool = false) async throws {
        let mark = journal.mark()
        var stored = try await store.load(Array(keys))
        var keys = keys
        if skippingInFlight {
            let busy = journal.written(keys, since: mark)
            keys.subtract(busy)
            stored.removeAll { busy.contains($0.key) }
        }
        journal.track(stored, absent: keys)
        for key in keys { forget(key) }
        for record in stored { restore(record) }
    }

    /// Undoes, now that the store answers, the failed changes that could not be undone when they failed.
    func settle() async {
        guard !unsettled.isEmpty else { return }
        let keys = unsettled
        do {
            try await reload(keys)
            unsettled.subtract(keys)
            logger.notice("failed changes undone after the store came back", metadata: ["records": "\(keys.count)"])
        } catch {}
    }

    /// Persists mutations and waits until they are durable. When the commit fails, the records it touched
    /// are reloaded from the store (undoing the change in memory) and the caller gets 503: nothing was
    /// acknowledged, and the next write succeeds once the cause (a full disk, a held lock) is gone.
    func persist(_ mutations: [StoreMutation]) async throws {
        do {
            try await journal.commit(mutations)
        } catch {
            let conflict = error is StoreConflict
            if conflict { metrics.storeConflicts.increment() } else { metrics.storeFailures.increment() }
            let keys = Set(mutations.map(\.key))
            do {
                try await reload(keys)
            } catch {
                unsettled.formUnion(keys)
                logger.error("could not undo a failed change in memory yet; retrying", metadata: ["error": "\(error)"])
            }
            if conflict {
                logger.info("change lost a race with another replica", metadata: ["records": "\(keys.count)"])
                throw APIError(.serviceUnavailable, "another registry replica changed the same records at the same moment; the change was not saved, retry", retryAfterSeconds: 1)
            }
            logger.error("change not saved", metadata: ["error": "\(error)", "records": "\(keys.count)"])
            throw APIError(.serviceUnavailable, "storage is unavailable; the change was not saved, retry later", retryAfterSeconds: 1)
        }
    }
}

extension JSONEncoder {
    /// Encodes a stored record body.
    static func body(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }
}
