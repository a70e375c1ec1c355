/// The registry's bounds: leases, retention and per-credential limits, generous for normal use; each can be
/// set from the environment (`resolve`).
public struct RegistryLimits: Sendable, Equatable {
    /// An assigned task whose agent has not heartbeated for this long goes back to the queue.
    public var taskLeaseSeconds: Double = 60
    /// How often a task may be handed out before a lost lease fails it.
    public var taskMaxAttempts = 3
    /// Finished tasks and decided pairing entries are pruned after this long; offline agents too
    /// (their ownership stays).
    public var retentionSeconds: Double = 7 * 86_400
    /// At most this many finished tasks are kept; the oldest go first.
    public var maxFinishedTasks = 10_000
    /// Tasks in the hub's first snapshot: the newest ones.
    public var snapshotTasks = 500
    /// Open (pending or assigned) tasks one credential may have submitted.
    public var maxOpenTasksPerCredential = 1_000
    /// Task submissions per credential per minute.
    public var submissionsPerMinute = 6_000
    /// Authenticated API requests of any kind per credential per minute (reads, registrations, heartbeats,
    /// reports, submissions): far above what agents sharing a key need, low enough that one credential
    /// cannot monopolise the registry.
    public var requestsPerMinute = 12_000
    /// Hub-event WebSockets open at once per credential (signaling allows one connection per subject anyway:
    /// a newer one replaces the older).
    public var webSocketsPerCredential = 32
    /// Long-poll claims waiting at once per credential.
    public var waitingClaimsPerCredential = 64
    /// A2A calls holding a connection open at once per credential (blocking SendMessage, streams).
    public var a2aOpenCallsPerCredential = 64
    /// Failed authentications per client address per minute before every attempt from it gets 429.
    public var failedAuthPerMinute = 30
    /// Agent ids one credential may own (ownership outlives deregistration, so this bounds its records).
    public var agentIdsPerCredential = 1_000

    public init() {}
}

extension RegistryLimits {
    /// The limits with environment overrides: `TASK_LEASE_SECONDS`, `TASK_MAX_ATTEMPTS`, `RETENTION_SECONDS`,
    /// `MAX_FINISHED_TASKS`, `MAX_OPEN_TASKS_PER_CREDENTIAL`, `SUBMISSIONS_PER_MINUTE`,
    /// `REQUESTS_PER_MINUTE_PER_CREDENTIAL`, `WEBSOCKETS_PER_CREDENTIAL`, `WAITING_CLAIMS_PER_CREDENTIAL`, `A2A_OPEN_CALLS_PER_CREDENTIAL`, `FAILED_AUTH_PER_MINUTE`, `AGENT_IDS_PER_CREDENTIAL`.
    static func resolve(environment env: [String: String]) throws(ConfigurationError) -> RegistryLimits {
        var limits = RegistryLimits()
        func number(_ name: String, _ target: inout Int) throws(ConfigurationError) {
            guard let text = env[name], !text.isEmpty else { return }
            guard let value = Int(text), value > 0 else { throw ConfigurationError("\(name) must be a positive whole number, got '\(text)'") }
            target = value
        }
        var lease = Int(limits.taskLeaseSeconds)
        var retention = Int(limits.retentionSeconds)
        try number("TASK_LEASE_SECONDS", &lease)
        try number("RETENTION_SECONDS", &retention)
        limits.taskLeaseSeconds = Double(lease)
        limits.retentionSeconds = Double(retention)
        try number("TASK_MAX_ATTEMPTS", &limits.taskMaxAttempts)
        try number("MAX_FINISHED_TASKS", &limits.maxFinishedTasks)
        try number("MAX_OPEN_TASKS_PER_CREDENTIAL", &limits.maxOpenTasksPerCredential)
        try number("SUBMISSIONS_PER_MINUTE", &limits.submissionsPerMinute)
        try number("REQUESTS_PER_MINUTE_PER_CREDENTIAL", &limits.requestsPerMinute)
        try number("WEBSOCKETS_PER_CREDENTIAL", &limits.webSocketsPerCredential)
        try number("WAITING_CLAIMS_PER_CREDENTIAL", &limits.waitingClaimsPerCredential)
        try number("A2A_OPEN_CALLS_PER_CREDENTIAL", &limits.a2aOpenCallsPerCredential)
        try number("FAILED_AUTH_PER_MINUTE", &limits.failedAuthPerMinute)
        try number("AGENT_IDS_PER_CREDENTIAL", &limits.agentIdsPerCredential)
        return limits
    }
}
