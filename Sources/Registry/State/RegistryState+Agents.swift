import Foundation
import MeshProtocol

extension RegistryState {
    static func rfc3339(_ epoch: Double) -> String {
        let date = Date(timeIntervalSince1970: epoch)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
            (c.nanosecond! / 1000))
    }

    func record(_ agent: StoredAgent, now: Double) -> AgentRecord {
        AgentRecord(
            registration: agent.registration, health: AgentHealth.of(secondsSinceHeartbeat: now - agent.lastHeartbeat),
            registeredAt: Self.rfc3339(agent.registeredAt), lastHeartbeat: Self.rfc3339(agent.lastHeartbeat))
    }

    public func listAgents() -> [AgentRecord] {
        listAgents(after: nil, limit: nil).items
    }

    /// Agents in registration order, a page at a time.
    func listAgents(after cursor: String?, limit: Int?) -> Page<AgentRecord> {
        let now = clock()
        let page = Page(Array(agents.values), key: { Page<StoredAgent>.key(time: $0.registeredAt, id: $0.registration.agentId) }, after: cursor, limit: limit)
        return Page<AgentRecord>(items: page.items.map { record($0, now: now) }, next: page.next)
    }

    public func agent(_ id: String) -> AgentRecord? {
        agents[id].map { record($0, now: clock()) }
    }

    /// The active agent advertising `skill` whose id was registered first (deterministic, unlike upstream).
    /// The order is the id's first registration, kept across restarts, so re-registering never wins a skill.
    public func route(skill: String) -> AgentRecord? {
        let now = clock()
        return agents.values
            .filter { AgentHealth.of(secondsSinceHeartbeat: now - $0.lastHeartbeat) == .active && $0.registration.capabilities.skills.contains(skill) }
            .min { routeRank($0) < routeRank($1) }
            .map { record($0, now: now) }
    }

    private func routeRank(_ agent: StoredAgent) -> (Double, String) {
        (owners[agent.registration.agentId]?.since ?? agent.registeredAt, agent.registration.agentId)
    }

    /// Registers or replaces an agent (upstream: registering again replaces the whole record).
    public func register(_ registration: AgentRegistration, by identity: Identity) async throws {
        try Self.validateAgentId(registration.agentId)
        try Self.validateCapacity(registration.maxConcurrentTasks)
        try Self.validateSkillCards(registration.capabilities.skillCards)
        try authorize(identity, forAgent: registration.agentId)
        try checkSidecarClaim(registration.sidecarPeerId, forAgent: registration.agentId, by: identity)
        let now = clock()
        var mutations: [StoreMutation] = []
        let ownership = try claimOwnership(of: registration.agentId, by: identity, now: now, into: &mutations)
        let agent = StoredAgent(registration: registration, registeredAt: now, lastHeartbeat: now)
        agents[registration.agentId] = agent
        lastHealth[registration.agentId] = .active
        mutations.append(.put(.agent, id: registration.agentId, body: JSONEncoder.body(agent)))
        try await persist(mutations)
        logger.info("agent registered", metadata: ["agent_id": "\(registration.agentId)", "owner": "\(ownership.owner)"])
        events.publish(.agent(record(agent, now: now)))
        topologyChanged()
    }

    /// Deregisters an agent. Its id stays owned, and the tasks it held go back to the queue at once.
    public func deleteAgent(_ agentId: String, by identity: Identity) async throws {
        guard agents[agentId] != nil else { throw APIError.notFound("agent not found") }
        try authorize(identity, forAgent: agentId)
        agents[agentId] = nil
        lastHealth[agentId] = nil
        canceledAssignments[agentId] = nil
        var mutations: [StoreMutation] = [.delete(.agent, id: agentId)]
        let takenBack = takeBackTasks(of: agentId, now: clock(), into: &mutations)
        do {
            try await persist(mutations)
        } catch {
            for case (_, let waiter?) in takenBack { waiter.continuation.resume(throwing: error) }
            throw error
        }
        for case (let task, let waiter?) in takenBack { waiter.continuation.resume(returning: [task]) }
        logger.info("agent deregistered", metadata: ["agent_id": "\(agentId)"])
        heartbeatsToStore.remove(agentId)
        events.publish(.agentRemoved(agentId))
        for (task, _) in takenBack { events.publish(.task(task)) }
        topologyChanged()
    }

    /// Upserts the agent from a heartbeat and hands it the pending tasks it may take, up to its free slots.
    /// Unlike upstream, fields absent from the heartbeat keep their stored values.
    public func heartbeat(_ beat: Heartbeat, by identity: Identity) async throws -> HeartbeatAnswer {
        try Self.validateAgentId(beat.agentId)
        try Self.validateCapacity(beat.maxConcurrentTasks)
        try authorize(identity, forAgent: beat.agentId)
        if let peer = beat.sidecarPeerId, peer != agents[beat.agentId]?.registration.sidecarPeerId {
            try checkSidecarClaim(peer, forAgent: beat.agentId, by: identity)
        }
        let now = clock()
        var mutations: [StoreMutation] = []
        _ = try claimOwnership(of: beat.agentId, by: identity, now: now, into: &mutations)
        let existing = agents[beat.agentId]
        var agent = existing ?? StoredAgent(
            registration: AgentRegistration(agentId: beat.agentId, hostname: beat.hostname ?? ""), registeredAt: now, lastHeartbeat: now)
        var registration = agent.registration
        if let hostname = beat.hostname { registration.hostname = hostname }
        if let ip = beat.ip { registration.ip = ip }
        if let port = beat.port { registration.port = port }
        if let status = beat.status { registration.status = status }
        if let mode = beat.mode { registration.mode = mode }
        if let skills = beat.skillNames { registration.capabilities.skills = skills }
        if let goals = beat.goalsCount { registration.capabilities.goalsCount = goals }
        if let peer = beat.sidecarPeerId, !peer.isEmpty { registration.sidecarPeerId = peer }
        if let capacity = beat.maxConcurrentTasks { registration.maxConcurrentTasks = capacity }
        agent.registration = registration
        agent.lastHeartbeat = now
        agents[beat.agentId] = agent
        let becameActive = lastHealth[beat.agentId] != .active
        lastHealth[beat.agentId] = .active

        // A heartbeat that only refreshes liveness is not acknowledged data: its timestamp is stored by the
        // next sweep, so the hot path neither encodes the record nor waits for a commit.
        let changed = existing == nil || existing?.registration != registration
        if changed {
            mutations.append(.put(.agent, id: beat.agentId, body: JSONEncoder.body(agent)))
            heartbeatsToStore.remove(beat.agentId)
        } else {
            heartbeatsToStore.insert(beat.agentId)
        }
        let lost = beat.heldTasks.map { requeueLostAssignments(of: beat.agentId, holding: Set($0), now: now, into: &mutations) } ?? []
        let assigned = assignPending(to: beat.agentId, skills: Set(registration.capabilities.skills), now: now, into: &mutations)
        // What this agent does not take back goes at once to a long-poll waiting elsewhere, as a new task would.
        var takenBack: [MeshTask] = [], handed: [(MeshTask, ClaimWaiter)] = []
        for var task in lost where !assigned.contains(where: { $0.id == task.id }) {
            if task.state == .pending, let waiter = offerToWaiter(&task) {
                store(task, into: &mutations)
                handed.append((task, waiter))
            }
            takenBack.append(task)
        }
        do {
            try await persist(mutations)
        } catch {
            for (_, waiter) in handed { waiter.continuation.resume(throwing: error) }
            throw error
        }
        for (task, waiter) in handed { waiter.continuation.resume(returning: [task]) }
        for task in takenBack { events.publish(.task(task)) }
        if changed || becameActive {
            events.publish(.agent(record(agent, now: now)))
            topologyChanged()
        }
        for task in assigned { events.publish(.task(task)) }
        return HeartbeatAnswer(pendingTasks: assigned, canceledTasks: takeCanceledAssignments(of: beat.agentId))
    }

    /// An assignment older than this that the agent says it does not hold was lost on its way (a claim or
    /// heartbeat answer that never arrived); younger ones may still be on their way.
    static let lostAssignmentGrace = 10.0

    /// Puts back in the queue the tasks assigned to `agentId` over `lostAssignmentGrace` ago that it does not
    /// hold, counting the attempt (a lease would never run out for them: the agent's heartbeats renew it).
    func requeueLostAssignments(of agentId: String, holding held: Set<String>, now: Double, into mutations: inout [StoreMutation]) -> [MeshTask] {
        var requeued: [MeshTask] = []
        for id in openTaskIds where !held.contains(id) {
            guard var task = tasks[id], task.state == .assigned, task.assignedAgentId == agentId, now - task.updatedAt >= Self.lostAssignmentGrace
            else { continue }
            logger.warning("task assignment lost on its way; requeued", metadata: ["task_id": "\(id)", "agent_id": "\(agentId)"])
            takeBack(&task, reason: "its agent \(agentId) never received it", now: now)
            store(task, into: &mutations)
            requeued.append(task)
        }
        return requeued
    }

    /// The public card shows them: a few short entries per skill.
    static func validateSkillCards(_ cards: [String: SkillCardDetails]) throws(APIError) {
        for (skill, card) in cards {
            for (field, entries) in [("tags", card.tags), ("examples", card.examples), ("input_modes", card.inputModes), ("output_modes", card.outputModes)] {
                guard entries.count <= 32, entries.allSatisfy({ !$0.isEmpty && $0.count <= 500 }) else {
                    throw APIError.badRequest("skill_cards.\(skill).\(field) must hold at most 32 entries of 1 to 500 characters")
                }
            }
        }
    }

    static func validateCapacity(_ capacity: Int?) throws(APIError) {
        guard let capacity else { return }
        guard (1...10_000).contains(capacity) else { throw APIError.badRequest("max_concurrent_tasks must be between 1 and 10000") }
    }

    static func validateAgentId(_ id: String) throws(APIError) {
        guard !id.isEmpty else { throw APIError.badRequest("agent_id must not be empty") }
        guard id.count <= 128 else { throw APIError.badRequest("agent_id is longer than 128 characters") }
        guard !id.contains(where: { $0.isNewline || $0 == "/" }) else {
            throw APIError.badRequest("agent_id must not contain '/' or line breaks")
        }
    }
}
