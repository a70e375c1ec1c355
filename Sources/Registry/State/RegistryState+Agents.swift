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
        let now = clock()
        return agents.values.sorted { $0.registeredAt < $1.registeredAt }.map { record($0, now: now) }
    }

    public func agent(_ id: String) -> AgentRecord? {
        agents[id].map { record($0, now: clock()) }
    }

    /// The first active agent advertising `skill`, in registration order (deterministic, unlike upstream).
    public func route(skill: String) -> AgentRecord? {
        let now = clock()
        return agents.values
            .filter { AgentHealth.of(secondsSinceHeartbeat: now - $0.lastHeartbeat) == .active && $0.registration.capabilities.skills.contains(skill) }
            .min { $0.registeredAt < $1.registeredAt }
            .map { record($0, now: now) }
    }

    /// Throws unless `identity` may act for `agentId`: admins always; others only for agents they own
    /// or that nobody owns yet.
    func authorize(_ identity: Identity, forAgent agentId: String) throws(APIError) {
        try identity.requireAgentOrAdmin()
        if identity.isAdmin { return }
        if let owner = agents[agentId]?.owner, owner != identity.peerId {
            throw APIError.forbidden("agent '\(agentId)' is owned by another credential")
        }
    }

    /// Registers or replaces an agent (upstream: registering again replaces the whole record).
    public func register(_ registration: AgentRegistration, by identity: Identity) async throws {
        try Self.validateAgentId(registration.agentId)
        try authorize(identity, forAgent: registration.agentId)
        let now = clock()
        let agent = StoredAgent(
            registration: registration, owner: agents[registration.agentId]?.owner ?? identity.peerId,
            registeredAt: now, lastHeartbeat: now)
        agents[registration.agentId] = agent
        lastHealth[registration.agentId] = .active
        try await persist([.put(.agent, id: registration.agentId, body: JSONEncoder.body(agent))])
        logger.info("agent registered", metadata: ["agent_id": "\(registration.agentId)", "owner": "\(agent.owner)"])
        events.publish(.agent(record(agent, now: now)))
        topologyChanged()
    }

    public func deleteAgent(_ agentId: String, by identity: Identity) async throws {
        guard agents[agentId] != nil else { throw APIError.notFound("agent not found") }
        try authorize(identity, forAgent: agentId)
        agents[agentId] = nil
        lastHealth[agentId] = nil
        try await persist([.delete(.agent, id: agentId)])
        logger.info("agent deregistered", metadata: ["agent_id": "\(agentId)"])
        heartbeatsToStore.remove(agentId)
        events.publish(.agentRemoved(agentId))
        topologyChanged()
    }

    /// Upserts the agent from a heartbeat and hands it every pending task it may take.
    /// Unlike upstream, fields absent from the heartbeat keep their stored values.
    public func heartbeat(_ beat: Heartbeat, by identity: Identity) async throws -> [MeshTask] {
        try Self.validateAgentId(beat.agentId)
        try authorize(identity, forAgent: beat.agentId)
        let now = clock()
        let existing = agents[beat.agentId]
        var agent = existing ?? StoredAgent(
            registration: AgentRegistration(agentId: beat.agentId, hostname: beat.hostname ?? ""), owner: identity.peerId,
            registeredAt: now, lastHeartbeat: now)
        var registration = agent.registration
        if let hostname = beat.hostname { registration.hostname = hostname }
        if let ip = beat.ip { registration.ip = ip }
        if let port = beat.port { registration.port = port }
        if let status = beat.status { registration.status = status }
        if let mode = beat.mode { registration.mode = mode }
        if let skills = beat.skillNames { registration.capabilities.skills = skills }
        if let goals = beat.goalsCount { registration.capabilities.goalsCount = goals }
        if let peer = beat.sidecarPeerId, !peer.isEmpty { registration.sidecarPeerId = peer }
        agent.registration = registration
        agent.lastHeartbeat = now
        agents[beat.agentId] = agent
        let becameActive = lastHealth[beat.agentId] != .active
        lastHealth[beat.agentId] = .active

        // A heartbeat that only refreshes liveness is not acknowledged data: its timestamp is stored by the
        // next sweep, so the hot path neither encodes the record nor waits for a commit.
        let changed = existing == nil || existing?.registration != registration
        var mutations: [StoreMutation] = []
        if changed {
            mutations.append(.put(.agent, id: beat.agentId, body: JSONEncoder.body(agent)))
            heartbeatsToStore.remove(beat.agentId)
        } else {
            heartbeatsToStore.insert(beat.agentId)
        }
        let assigned = assignPending(to: beat.agentId, skills: Set(registration.capabilities.skills), now: now, into: &mutations)
        try await persist(mutations)
        if changed || becameActive {
            events.publish(.agent(record(agent, now: now)))
            topologyChanged()
        }
        for task in assigned { events.publish(.task(task)) }
        return assigned
    }

    static func validateAgentId(_ id: String) throws(APIError) {
        guard !id.isEmpty else { throw APIError.badRequest("agent_id must not be empty") }
        guard id.count <= 128 else { throw APIError.badRequest("agent_id is longer than 128 characters") }
        guard !id.contains(where: { $0.isNewline || $0 == "/" }) else {
            throw APIError.badRequest("agent_id must not contain '/' or line breaks")
        }
    }
}
