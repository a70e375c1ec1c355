/// A2A 1.0 `Task`: the unit of work a message starts, with its status, outputs and the turns so far.
public struct A2ATask: Sendable, Hashable, Codable {
    public var id: String
    public var contextId: String
    public var status: A2ATaskStatus
    public var artifacts: [A2AArtifact]?
    public var history: [A2AMessage]?
    public var metadata: JSONValue?

    public init(
        id: String, contextId: String, status: A2ATaskStatus, artifacts: [A2AArtifact]? = nil, history: [A2AMessage]? = nil,
        metadata: JSONValue? = nil
    ) {
        self.id = id
        self.contextId = contextId
        self.status = status
        self.artifacts = artifacts
        self.history = history
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey { case id, contextId, status, artifacts, history, metadata }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.protoJSON(.id, or: "")
        contextId = try container.protoJSON(.contextId, or: "")
        status = try container.decode(A2ATaskStatus.self, forKey: .status)
        artifacts = try container.decodeIfPresent([A2AArtifact].self, forKey: .artifacts)
        history = try container.decodeIfPresent([A2AMessage].self, forKey: .history)
        metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
    }
}

public struct A2ATaskStatus: Sendable, Hashable, Codable {
    public var state: A2ATaskState
    public var message: A2AMessage?
    /// RFC 3339 in UTC with milliseconds.
    public var timestamp: String?

    public init(state: A2ATaskState, message: A2AMessage? = nil, timestamp: String? = nil) {
        self.state = state
        self.message = message
        self.timestamp = timestamp
    }
}

/// `TASK_STATE_*`. Completed, failed, canceled and rejected are terminal; input- and auth-required interrupt.
public enum A2ATaskState: OpenWireEnum {
    case submitted, working, completed, failed, canceled, inputRequired, rejected, authRequired
    case unknown(String)

    public static let knownCases: [A2ATaskState] = [.submitted, .working, .completed, .failed, .canceled, .inputRequired, .rejected, .authRequired]

    public var rawValue: String {
        switch self {
        case .submitted: "TASK_STATE_SUBMITTED"
        case .working: "TASK_STATE_WORKING"
        case .completed: "TASK_STATE_COMPLETED"
        case .failed: "TASK_STATE_FAILED"
        case .canceled: "TASK_STATE_CANCELED"
        case .inputRequired: "TASK_STATE_INPUT_REQUIRED"
        case .rejected: "TASK_STATE_REJECTED"
        case .authRequired: "TASK_STATE_AUTH_REQUIRED"
        case .unknown(let name): name
        }
    }

    public var isTerminal: Bool { [.completed, .failed, .canceled, .rejected].contains(self) }

    /// Terminal or waiting on the client: where a blocking call returns and a stream ends.
    public var endsTheCall: Bool { isTerminal || self == .inputRequired || self == .authRequired }
}

/// An output of a task.
public struct A2AArtifact: Sendable, Hashable, Codable {
    public var artifactId: String
    public var name: String?
    public var description: String?
    public var parts: [A2APart]
    public var metadata: JSONValue?

    public init(artifactId: String, name: String? = nil, parts: [A2APart]) {
        self.artifactId = artifactId
        self.name = name
        self.parts = parts
    }

    enum CodingKeys: String, CodingKey { case artifactId, name, description, parts, metadata }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        artifactId = try container.protoJSON(.artifactId, or: "")
        name = try container.decodeIfPresent(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        parts = try container.protoJSON(.parts, or: [])
        metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
    }
}

/// `TaskStatusUpdateEvent` (1.0 has no `final`: a stream ends by closing after the terminal state).
public struct A2AStatusUpdate: Sendable, Hashable, Codable {
    public var taskId: String
    public var contextId: String
    public var status: A2ATaskStatus

    public init(taskId: String, contextId: String, status: A2ATaskStatus) {
        self.taskId = taskId
        self.contextId = contextId
        self.status = status
    }
}

/// `TaskArtifactUpdateEvent`.
public struct A2AArtifactUpdate: Sendable, Hashable, Codable {
    public var taskId: String
    public var contextId: String
    public var artifact: A2AArtifact
    public var append: Bool?
    public var lastChunk: Bool?

    public init(taskId: String, contextId: String, artifact: A2AArtifact, lastChunk: Bool? = nil) {
        self.taskId = taskId
        self.contextId = contextId
        self.artifact = artifact
        self.lastChunk = lastChunk
    }
}

/// `SendMessageResponse` and `StreamResponse`: exactly one of `task`, `message`, `statusUpdate`, `artifactUpdate`.
public enum A2AStreamResponse: Sendable, Hashable, Codable {
    case task(A2ATask)
    case message(A2AMessage)
    case statusUpdate(A2AStatusUpdate)
    case artifactUpdate(A2AArtifactUpdate)

    enum CodingKeys: String, CodingKey { case task, message, statusUpdate, artifactUpdate }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let task = try container.decodeIfPresent(A2ATask.self, forKey: .task) {
            self = .task(task)
        } else if let message = try container.decodeIfPresent(A2AMessage.self, forKey: .message) {
            self = .message(message)
        } else if let update = try container.decodeIfPresent(A2AStatusUpdate.self, forKey: .statusUpdate) {
            self = .statusUpdate(update)
        } else if let update = try container.decodeIfPresent(A2AArtifactUpdate.self, forKey: .artifactUpdate) {
            self = .artifactUpdate(update)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "none of task, message, statusUpdate, artifactUpdate"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .task(let task): try container.encode(task, forKey: .task)
        case .message(let message): try container.encode(message, forKey: .message)
        case .statusUpdate(let update): try container.encode(update, forKey: .statusUpdate)
        case .artifactUpdate(let update): try container.encode(update, forKey: .artifactUpdate)
        }
    }
}
