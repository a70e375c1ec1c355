/// What an agent advertises: skills, MCP servers, goals.
public struct AgentCapabilities: Sendable, Hashable, Codable {
    public var skills: [String]
    public var mcpServers: [String]
    public var goalsCount: Int
    public var mode: String
    /// `SkillAccess` rules per skill, for the skills that have any (not upstream; absent when empty).
    public var skillAccess: [String: [String]]
    /// What each skill does, from its definition (not upstream; absent when empty): the A2A card shows it.
    public var skillDescriptions: [String: String]
    /// Tags, examples and media types per skill, for the skills whose `skill.json` gives any (not upstream;
    /// absent when empty): the A2A card shows them.
    public var skillCards: [String: SkillCardDetails]

    public init(
        skills: [String] = [], mcpServers: [String] = [], goalsCount: Int = 0, mode: String = "", skillAccess: [String: [String]] = [:],
        skillDescriptions: [String: String] = [:], skillCards: [String: SkillCardDetails] = [:]
    ) {
        self.skills = skills
        self.mcpServers = mcpServers
        self.goalsCount = goalsCount
        self.mode = mode
        self.skillAccess = skillAccess
        self.skillDescriptions = skillDescriptions
        self.skillCards = skillCards
    }

    enum CodingKeys: String, CodingKey {
        case skills
        case mcpServers = "mcp_servers"
        case goalsCount = "goals_count"
        case mode
        case skillAccess = "skill_access"
        case skillDescriptions = "skill_descriptions"
        case skillCards = "skill_cards"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(skills, forKey: .skills)
        try container.encode(mcpServers, forKey: .mcpServers)
        try container.encode(goalsCount, forKey: .goalsCount)
        try container.encode(mode, forKey: .mode)
        if !skillAccess.isEmpty { try container.encode(skillAccess, forKey: .skillAccess) }
        if !skillDescriptions.isEmpty { try container.encode(skillDescriptions, forKey: .skillDescriptions) }
        if !skillCards.isEmpty { try container.encode(skillCards, forKey: .skillCards) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        skills = try container.decodeIfPresent([String].self, forKey: .skills) ?? []
        mcpServers = try container.decodeIfPresent([String].self, forKey: .mcpServers) ?? []
        goalsCount = try container.decodeIfPresent(Int.self, forKey: .goalsCount) ?? 0
        mode = try container.decodeIfPresent(String.self, forKey: .mode) ?? ""
        skillAccess = try container.decodeIfPresent([String: [String]].self, forKey: .skillAccess) ?? [:]
        skillDescriptions = try container.decodeIfPresent([String: String].self, forKey: .skillDescriptions) ?? [:]
        skillCards = try container.decodeIfPresent([String: SkillCardDetails].self, forKey: .skillCards) ?? [:]
    }
}

/// What a skill's `skill.json` says for its A2A card beyond its name and description: `tags`, `examples`
/// (prompts that would use it) and the media types it takes and gives (`input_modes`, `output_modes`).
public struct SkillCardDetails: Sendable, Hashable, Codable {
    public var tags: [String]
    public var examples: [String]
    public var inputModes: [String]
    public var outputModes: [String]

    public init(tags: [String] = [], examples: [String] = [], inputModes: [String] = [], outputModes: [String] = []) {
        self.tags = tags
        self.examples = examples
        self.inputModes = inputModes
        self.outputModes = outputModes
    }

    public var isEmpty: Bool { tags.isEmpty && examples.isEmpty && inputModes.isEmpty && outputModes.isEmpty }

    enum CodingKeys: String, CodingKey {
        case tags, examples, inputModes = "input_modes", outputModes = "output_modes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        examples = try container.decodeIfPresent([String].self, forKey: .examples) ?? []
        inputModes = try container.decodeIfPresent([String].self, forKey: .inputModes) ?? []
        outputModes = try container.decodeIfPresent([String].self, forKey: .outputModes) ?? []
    }
}

/// Agent health as derived from the time since its last heartbeat.
public enum AgentHealth: String, Sendable, Hashable, Codable, CaseIterable {
    case active, stale, offline

    /// Upstream thresholds: stale after 90 s without a heartbeat, offline after 270 s.
    public static func of(secondsSinceHeartbeat age: Double) -> AgentHealth {
        if age < 90 { return .active }
        if age < 270 { return .stale }
        return .offline
    }
}

/// `POST /api/registry/agents` body (upstream `AgentInfo`).
public struct AgentRegistration: Sendable, Hashable, Codable {
    public var agentId: String
    public var hostname: String
    public var ip: String
    public var port: Int
    public var sidecarPeerId: String
    public var capabilities: AgentCapabilities
    public var status: String
    public var mode: String
    /// How many queued tasks the agent runs at once; the registry assigns no more (nil: no limit, as upstream).
    public var maxConcurrentTasks: Int?

    public init(
        agentId: String, hostname: String, ip: String = "", port: Int = 8000, sidecarPeerId: String = "",
        capabilities: AgentCapabilities = .init(), status: String = "", mode: String = "", maxConcurrentTasks: Int? = nil
    ) {
        self.agentId = agentId
        self.hostname = hostname
        self.ip = ip
        self.port = port
        self.sidecarPeerId = sidecarPeerId
        self.capabilities = capabilities
        self.status = status
        self.mode = mode
        self.maxConcurrentTasks = maxConcurrentTasks
    }

    enum CodingKeys: String, CodingKey {
        case agentId = "agent_id", hostname, ip, port, sidecarPeerId = "sidecar_peer_id", capabilities, status, mode
        case maxConcurrentTasks = "max_concurrent_tasks"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        agentId = try container.decode(String.self, forKey: .agentId)
        hostname = try container.decode(String.self, forKey: .hostname)
        ip = try container.decodeIfPresent(String.self, forKey: .ip) ?? ""
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? 8000
        sidecarPeerId = try container.decodeIfPresent(String.self, forKey: .sidecarPeerId) ?? ""
        capabilities = try container.decodeIfPresent(AgentCapabilities.self, forKey: .capabilities) ?? .init()
        status = try container.decodeIfPresent(String.self, forKey: .status) ?? ""
        mode = try container.decodeIfPresent(String.self, forKey: .mode) ?? ""
        maxConcurrentTasks = try container.decodeIfPresent(Int.self, forKey: .maxConcurrentTasks)
    }
}

/// An agent as the registry lists it: the registration plus health and timestamps (RFC 3339).
public struct AgentRecord: Sendable, Hashable, Codable {
    public var agentId: String
    public var hostname: String
    public var ip: String
    public var port: Int
    public var sidecarPeerId: String
    public var capabilities: AgentCapabilities
    public var status: String
    public var mode: String
    public var health: AgentHealth
    public var registeredAt: String
    public var lastHeartbeat: String

    public init(registration r: AgentRegistration, health: AgentHealth, registeredAt: String, lastHeartbeat: String) {
        agentId = r.agentId
        hostname = r.hostname
        ip = r.ip
        port = r.port
        sidecarPeerId = r.sidecarPeerId
        capabilities = r.capabilities
        status = r.status
        mode = r.mode
        self.health = health
        self.registeredAt = registeredAt
        self.lastHeartbeat = lastHeartbeat
    }

    enum CodingKeys: String, CodingKey {
        case agentId = "agent_id", hostname, ip, port, sidecarPeerId = "sidecar_peer_id", capabilities, status, mode
        case health, registeredAt = "registered_at", lastHeartbeat = "last_heartbeat"
    }
}

/// `POST /api/hub/heartbeat` body. Only `agent_id` is required; absent fields keep their stored values.
public struct Heartbeat: Sendable, Hashable, Codable {
    public var agentId: String
    public var hostname: String?
    public var ip: String?
    public var port: Int?
    public var status: String?
    public var mode: String?
    public var skillsCount: Int?
    public var goalsCount: Int?
    public var uptimeSeconds: Double?
    public var skillNames: [String]?
    public var sidecarPeerId: String?
    public var maxConcurrentTasks: Int?
    /// The ids of the assigned tasks the agent is working on or still reporting (ours, not upstream): a task
    /// assigned to it a while ago that it does not hold never reached it (the answer that assigned it was lost
    /// with its connection) and goes back to the queue. Absent: the agent does not say, and nothing changes.
    public var heldTasks: [String]?

    public init(
        agentId: String, hostname: String? = nil, skillNames: [String]? = nil, sidecarPeerId: String? = nil, maxConcurrentTasks: Int? = nil
    ) {
        self.agentId = agentId
        self.hostname = hostname
        self.skillNames = skillNames
        self.sidecarPeerId = sidecarPeerId
        self.maxConcurrentTasks = maxConcurrentTasks
    }

    enum CodingKeys: String, CodingKey {
        case agentId = "agent_id", hostname, ip, port, status, mode
        case skillsCount = "skills_count", goalsCount = "goals_count", uptimeSeconds = "uptime_seconds"
        case skillNames = "skill_names", sidecarPeerId = "sidecar_peer_id", maxConcurrentTasks = "max_concurrent_tasks"
        case heldTasks = "held_tasks"
    }
}

/// `POST /api/hub/heartbeat`'s answer: the pending tasks just assigned to the agent (none is `[]`; an
/// answer without the field reads as none), and the ids of tasks it holds that their submitter canceled since
/// its last heartbeat (`canceled_tasks`, not upstream; absent when none), so it can stop working on them.
public struct HeartbeatAnswer: Sendable, Codable {
    public var status: String
    public var pendingTasks: [MeshTask]
    public var canceledTasks: [String]

    public init(status: String = "ok", pendingTasks: [MeshTask], canceledTasks: [String] = []) {
        self.status = status
        self.pendingTasks = pendingTasks
        self.canceledTasks = canceledTasks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decodeIfPresent(String.self, forKey: .status) ?? "ok"
        pendingTasks = try container.decodeIfPresent([MeshTask].self, forKey: .pendingTasks) ?? []
        canceledTasks = try container.decodeIfPresent([String].self, forKey: .canceledTasks) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(pendingTasks, forKey: .pendingTasks)
        if !canceledTasks.isEmpty { try container.encode(canceledTasks, forKey: .canceledTasks) }
    }

    enum CodingKeys: String, CodingKey { case status, pendingTasks = "pending_tasks", canceledTasks = "canceled_tasks" }
}
