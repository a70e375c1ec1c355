/// Lifecycle of a queued task: `pending → assigned → completed | failed` (and `pending → failed` on TTL expiry,
/// `assigned → pending` when the assignee's lease runs out, `pending | assigned | input_required → canceled`
/// when its submitter cancels it). Ours, not upstream's: `canceled`; `input_required`, where a skill asked its
/// submitter for more and the next message of the conversation puts the task back to `pending`; `rejected`,
/// where a skill refused the task.
public enum TaskState: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, assigned, completed, failed, canceled
    case inputRequired = "input_required", rejected

    public var isFinal: Bool { self == .completed || self == .failed || self == .canceled || self == .rejected }

    /// Whether the task waits for someone other than an agent: finished, or asking its submitter for input.
    public var awaitsNoAgent: Bool { isFinal || self == .inputRequired }

    /// Whether a task may move from this state to `next`.
    public func canMove(to next: TaskState) -> Bool {
        switch (self, next) {
        case (.pending, .assigned), (.pending, .failed), (.assigned, .completed), (.assigned, .failed), (.assigned, .pending),
            (.pending, .canceled), (.assigned, .canceled), (.assigned, .inputRequired), (.assigned, .rejected),
            (.inputRequired, .pending), (.inputRequired, .failed), (.inputRequired, .canceled): true
        default: false
        }
    }
}

/// An earlier turn of a task that asked for input (not upstream): what was asked of the skill, its reply
/// (the request for input, as the skill returned it) and when the turn ended.
public struct TaskTurn: Sendable, Hashable, Codable {
    public var request: JSONValue
    public var reply: String
    public var at: Double

    public init(request: JSONValue, reply: String, at: Double) {
        self.request = request
        self.reply = reply
        self.at = at
    }
}

/// A unit of work in the registry's queue (upstream `Task`). Timestamps are epoch seconds.
public struct MeshTask: Sendable, Hashable, Codable {
    public var id: String
    public var skill: String
    public var targetAgentId: String
    public var sourceAgentId: String
    public var assignedAgentId: String
    public var payload: JSONValue
    public var state: TaskState
    public var result: String
    public var error: String
    public var createdAt: Double
    public var updatedAt: Double
    public var ttl: Int
    /// How many times the task was handed to an agent whose lease then ran out (not upstream; 0 when absent).
    public var attempts: Int
    /// The credential that submitted it, as the registry authenticated it (not upstream; absent in old records).
    public var submittedBy: Principal?
    /// The A2A conversation the task belongs to (not upstream; only tasks that came in over A2A have one).
    public var contextId: String?
    /// The turns before the current one, oldest first, when a skill asked for input (not upstream; absent when none).
    public var turns: [TaskTurn]

    public init(
        id: String, skill: String, targetAgentId: String, sourceAgentId: String, payload: JSONValue, ttl: Int,
        now: Double
    ) {
        self.id = id
        self.skill = skill
        self.targetAgentId = targetAgentId
        self.sourceAgentId = sourceAgentId
        self.assignedAgentId = ""
        self.payload = payload
        self.state = .pending
        self.result = ""
        self.error = ""
        self.createdAt = now
        self.updatedAt = now
        self.ttl = ttl
        self.attempts = 0
        self.turns = []
    }

    enum CodingKeys: String, CodingKey {
        case id, skill, targetAgentId = "target_agent_id", sourceAgentId = "source_agent_id"
        case assignedAgentId = "assigned_agent_id", payload, state, result, error
        case createdAt = "created_at", updatedAt = "updated_at", ttl, attempts, submittedBy = "submitted_by"
        case contextId = "context_id", turns
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        skill = try container.decode(String.self, forKey: .skill)
        targetAgentId = try container.decode(String.self, forKey: .targetAgentId)
        sourceAgentId = try container.decode(String.self, forKey: .sourceAgentId)
        assignedAgentId = try container.decode(String.self, forKey: .assignedAgentId)
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        state = try container.decode(TaskState.self, forKey: .state)
        result = try container.decode(String.self, forKey: .result)
        error = try container.decode(String.self, forKey: .error)
        createdAt = try container.decode(Double.self, forKey: .createdAt)
        updatedAt = try container.decode(Double.self, forKey: .updatedAt)
        ttl = try container.decode(Int.self, forKey: .ttl)
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        // Lenient: a role this build does not know leaves the submitter unknown rather than the task unreadable.
        submittedBy = (try? container.decodeIfPresent(Principal.self, forKey: .submittedBy)) ?? nil
        contextId = try container.decodeIfPresent(String.self, forKey: .contextId)
        turns = try container.decodeIfPresent([TaskTurn].self, forKey: .turns) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(skill, forKey: .skill)
        try container.encode(targetAgentId, forKey: .targetAgentId)
        try container.encode(sourceAgentId, forKey: .sourceAgentId)
        try container.encode(assignedAgentId, forKey: .assignedAgentId)
        try container.encode(payload, forKey: .payload)
        try container.encode(state, forKey: .state)
        try container.encode(result, forKey: .result)
        try container.encode(error, forKey: .error)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(ttl, forKey: .ttl)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(submittedBy, forKey: .submittedBy)
        try container.encodeIfPresent(contextId, forKey: .contextId)
        if !turns.isEmpty { try container.encode(turns, forKey: .turns) }
    }

    /// When the current turn began: the task's creation, or the end of the turn that asked for input.
    /// The TTL counts from here.
    public var turnStartedAt: Double { turns.last?.at ?? createdAt }

    /// The argument that carries the earlier turns to a skill, whatever parameters it declares.
    public static let previousTurnsArgument = "previous_turns"

    /// What a skill handler is given: the payload, plus `previous_turns` (`[{"request", "reply"}]`, the
    /// replies as text) when the task continues a conversation in which the skill asked for input.
    public var handlerPayload: JSONValue {
        guard !turns.isEmpty, case .object(var fields) = payload else { return payload }
        fields[Self.previousTurnsArgument] = .array(turns.map { turn in
            .object(["request": turn.request, "reply": .string(A2AResult(turn.reply, taskId: id)?.text ?? turn.reply)])
        })
        return .object(fields)
    }

    /// Whether this pending task may go to an agent with this id and these skills:
    /// a targeted task only to its target, an untargeted one only to an agent advertising its skill.
    public func isClaimable(by agentId: String, skills: Set<String>) -> Bool {
        guard state == .pending else { return false }
        if !targetAgentId.isEmpty { return targetAgentId == agentId }
        return !skill.isEmpty && skills.contains(skill)
    }
}


/// `POST /api/hub/tasks` body.
public struct TaskSubmission: Sendable, Hashable, Codable {
    public var skill: String
    public var targetAgentId: String
    public var sourceAgentId: String
    public var payload: JSONValue
    public var ttl: Int

    public init(skill: String = "", targetAgentId: String = "", sourceAgentId: String = "", payload: JSONValue = .null, ttl: Int = 300) {
        self.skill = skill
        self.targetAgentId = targetAgentId
        self.sourceAgentId = sourceAgentId
        self.payload = payload
        self.ttl = ttl
    }

    enum CodingKeys: String, CodingKey {
        case skill, targetAgentId = "target_agent_id", sourceAgentId = "source_agent_id", payload, ttl
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        skill = try container.decodeIfPresent(String.self, forKey: .skill) ?? ""
        targetAgentId = try container.decodeIfPresent(String.self, forKey: .targetAgentId) ?? ""
        sourceAgentId = try container.decodeIfPresent(String.self, forKey: .sourceAgentId) ?? ""
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        ttl = try container.decodeIfPresent(Int.self, forKey: .ttl) ?? 300
    }
}

/// `POST /api/hub/tasks/{id}` body: `{state, result = "", error = ""}`.
public struct TaskUpdate: Sendable, Hashable, Codable {
    public var state: TaskState
    public var result: String
    public var error: String

    public init(state: TaskState, result: String = "", error: String = "") {
        self.state = state
        self.result = result
        self.error = error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(TaskState.self, forKey: .state)
        result = try container.decodeIfPresent(String.self, forKey: .result) ?? ""
        error = try container.decodeIfPresent(String.self, forKey: .error) ?? ""
    }
}

/// `POST /api/hub/tasks/claim` body: long-poll for tasks for one agent.
public struct TaskClaim: Sendable, Hashable, Codable {
    public var agentId: String
    public var skillNames: [String]?
    public var waitMs: Int?

    public init(agentId: String, skillNames: [String]? = nil, waitMs: Int? = nil) {
        self.agentId = agentId
        self.skillNames = skillNames
        self.waitMs = waitMs
    }

    enum CodingKeys: String, CodingKey {
        case agentId = "agent_id", skillNames = "skill_names", waitMs = "wait_ms"
    }
}

/// `POST /api/hub/tasks`' answer: the id of the queued task.
public struct TaskReceipt: Sendable, Hashable, Codable {
    public var taskId: String

    public init(taskId: String) {
        self.taskId = taskId
    }

    enum CodingKeys: String, CodingKey { case taskId = "task_id" }
}

/// `POST /api/hub/tasks/claim`'s answer: the tasks now assigned to the agent, and the ids of held tasks their
/// submitter canceled since it last heard (`canceled_tasks`, not upstream; absent when none).
public struct ClaimAnswer: Sendable, Codable {
    public var tasks: [MeshTask]
    public var canceledTasks: [String]

    public init(tasks: [MeshTask], canceledTasks: [String] = []) {
        self.tasks = tasks
        self.canceledTasks = canceledTasks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tasks = try container.decode([MeshTask].self, forKey: .tasks)
        canceledTasks = try container.decodeIfPresent([String].self, forKey: .canceledTasks) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tasks, forKey: .tasks)
        if !canceledTasks.isEmpty { try container.encode(canceledTasks, forKey: .canceledTasks) }
    }

    enum CodingKeys: String, CodingKey { case tasks, canceledTasks = "canceled_tasks" }
}

/// `POST /api/hub/tasks/{id}/progress` body (not upstream): the text of a task's answer so far, while it is
/// being written (an LLM streaming its reply). Each report holds the whole text, so a lost one costs nothing.
public struct TaskProgress: Sendable, Hashable, Codable {
    public var text: String

    public init(text: String) {
        self.text = text
    }
}
