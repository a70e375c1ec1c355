/// The `params` of A2A 1.0's methods (the proto's request messages in ProtoJSON).

/// `SendMessage` and `SendStreamingMessage`.
public struct A2ASendMessageParams: Sendable, Hashable, Codable {
    public var message: A2AMessage
    public var configuration: Configuration?
    public var metadata: JSONValue?

    public init(message: A2AMessage, configuration: Configuration? = nil) {
        self.message = message
        self.configuration = configuration
    }

    public struct Configuration: Sendable, Hashable, Codable {
        public var acceptedOutputModes: [String]?
        public var historyLength: Int?
        /// 1.0's replacement for 0.3's `blocking`, the other way round: false (the default) waits for the task
        /// to finish or need input.
        public var returnImmediately: Bool?

        public init(acceptedOutputModes: [String]? = nil, historyLength: Int? = nil, returnImmediately: Bool? = nil) {
            self.acceptedOutputModes = acceptedOutputModes
            self.historyLength = historyLength
            self.returnImmediately = returnImmediately
        }
    }
}

/// `GetTask`, `CancelTask`, `SubscribeToTask`.
public struct A2ATaskIdParams: Sendable, Hashable, Codable {
    public var id: String
    public var historyLength: Int?

    public init(id: String, historyLength: Int? = nil) {
        self.id = id
        self.historyLength = historyLength
    }
}

/// `ListTasks`: filters and paging; `pageSize` 1–100, 50 by default.
public struct A2AListTasksParams: Sendable, Hashable, Codable {
    public var contextId: String?
    public var status: A2ATaskState?
    public var pageSize: Int?
    public var pageToken: String?
    public var historyLength: Int?
    public var includeArtifacts: Bool?

    public init(contextId: String? = nil, status: A2ATaskState? = nil, pageSize: Int? = nil, pageToken: String? = nil) {
        self.contextId = contextId
        self.status = status
        self.pageSize = pageSize
        self.pageToken = pageToken
    }
}

/// `ListTasks`' answer; every field is required, `nextPageToken` is "" on the last page.
public struct A2AListTasksResult: Sendable, Hashable, Codable {
    public var tasks: [A2ATask]
    public var nextPageToken: String
    public var pageSize: Int
    public var totalSize: Int

    public init(tasks: [A2ATask], nextPageToken: String, pageSize: Int, totalSize: Int) {
        self.tasks = tasks
        self.nextPageToken = nextPageToken
        self.pageSize = pageSize
        self.totalSize = totalSize
    }
}
