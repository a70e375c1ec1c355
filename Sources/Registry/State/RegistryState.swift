import Foundation
import Logging
import MeshProtocol

/// The registry's state: agents, tasks, pairing and observed mesh links, owned by one actor.
///
/// Every change is applied in memory, appended to the journal in the same isolated step (so the journal's
/// order is the state's order), and acknowledged only after the journal reports it durable.
public actor RegistryState {
    let journal: Journal
    let events: HubEventBus
    let logger: Logger
    let clock: @Sendable () -> Double

    var agents: [String: StoredAgent] = [:]
    var lastHealth: [String: AgentHealth] = [:]
    var tasks: [String: MeshTask] = [:]
    /// Ids of tasks that are not final, for the TTL sweep.
    var openTaskIds: Set<String> = []
    var claimWaiters: [UUID: ClaimWaiter] = [:]
    var pairings: [String: StoredPairing] = [:]
    var pairingByTokenHash: [String: String] = [:]
    var pairingByPeerId: [String: String] = [:]
    var codes: [String: StoredCode] = [:]
    /// Observed open DataChannels, as each sidecar last reported them.
    var meshReports: [String: Set<String>] = [:]
    /// Agents whose last heartbeat only refreshed liveness; the sweep stores their timestamps every
    /// `heartbeatStoreInterval` (health after a restart needs them only to within seconds).
    var heartbeatsToStore: Set<String> = []
    var heartbeatsStoredAt = 0.0
    static let heartbeatStoreInterval = 5.0
    var topologyEventPending = false
    static let topologyEventDelay: Duration = .milliseconds(100)

    struct ClaimWaiter {
        let agentId: String
        let skills: Set<String>
        let continuation: CheckedContinuation<[MeshTask], any Error>
    }

    public init(journal: Journal, events: HubEventBus, logger: Logger, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.journal = journal
        self.events = events
        self.logger = logger
        self.clock = clock
    }

    /// Rebuilds the state from stored records; a record that no longer decodes is logged and skipped.
    func load(_ records: [StoredRecord]) {
        let decoder = JSONDecoder()
        for record in records {
            let data = Data(record.body.utf8)
            do {
                switch record.kind {
                case .agent:
                    let agent = try decoder.decode(StoredAgent.self, from: data)
                    agents[agent.registration.agentId] = agent
                case .task:
                    let task = try decoder.decode(MeshTask.self, from: data)
                    tasks[task.id] = task
                    if !task.state.isFinal { openTaskIds.insert(task.id) }
                case .pairing:
                    let pairing = try decoder.decode(StoredPairing.self, from: data)
                    index(pairing)
                case .code:
                    let code = try decoder.decode(StoredCode.self, from: data)
                    codes[code.code] = code
                }
            } catch {
                logger.error("skipping unreadable stored record", metadata: ["kind": "\(record.kind)", "id": "\(record.id)", "error": "\(error)"])
            }
        }
        let now = clock()
        for (id, agent) in agents { lastHealth[id] = AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat) }
        logger.info("state loaded", metadata: ["agents": "\(agents.count)", "tasks": "\(tasks.count)", "pairings": "\(pairings.count)"])
    }

    /// Persists mutations and waits until they are durable.
    func persist(_ mutations: [StoreMutation]) async throws {
        try await journal.commit(mutations)
    }

    /// Expires tasks past their TTL, drops expired invite codes, stores refreshed heartbeat timestamps and
    /// reports health changes.
    /// Runs about every 250 ms; `now` is injectable so tests drive it with a virtual clock.
    public func sweep(now: Double) async throws {
        var mutations: [StoreMutation] = []
        var changedTasks: [MeshTask] = []
        for id in openTaskIds {
            guard var task = tasks[id], now - task.createdAt >= Double(task.ttl) else { continue }
            task.state = .failed
            task.error = "TTL expired"
            task.updatedAt = now
            store(task, into: &mutations)
            changedTasks.append(task)
        }
        for (code, stored) in codes where stored.expiresAt <= now {
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
            logger.info("task expired", metadata: ["task_id": "\(task.id)"])
            events.publish(.task(task))
        }
        for agent in healthChanged { events.publish(.agent(agent)) }
        if !healthChanged.isEmpty { topologyChanged() }
    }
}

extension JSONEncoder {
    /// Encodes a stored record body.
    static func body(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }
}
