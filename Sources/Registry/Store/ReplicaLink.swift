/// How registries that share one database learn of each other's changes and relay signaling between
/// them. Only a shared store (PostgreSQL) has one; a registry without one is the whole mesh.
public protocol ReplicaLink: Sendable {
    /// This process among the replicas (new at every start).
    var replicaId: String { get }
    /// Whether this replica runs the mesh-wide sweeps (TTL, leases, codes, retention) now: exactly one does.
    var isLeader: Bool { get }
    /// Listens to the other replicas until cancelled, handing each event to `deliver` in order, and keeps
    /// competing for leadership meanwhile. Each time listening (re)starts it delivers `.resync` first.
    func run(deliver: @escaping @Sendable (ReplicaEvent) async -> Void) async
    /// Tells every other replica, which hear this replica's signals in the order they were sent (so the caller
    /// must not hop through a task of its own first); best effort (a replica that misses it catches up from the
    /// database). Returns at once: the signal is queued.
    func send(_ signal: ReplicaSignal)
}

/// What one replica hears from the others.
public enum ReplicaEvent: Sendable {
    /// Records another replica committed.
    case records(Set<RecordKey>)
    /// Listening (re)started: changes made meanwhile were not announced, so compare with the database.
    case resync
    case signal(ReplicaSignal)
}

/// Signaling state that lives in memory, shared between replicas.
public enum ReplicaSignal: Sendable, Codable, Equatable {
    /// A peer registered on `replica` at `at` (epoch seconds); an older connection of the same peer
    /// elsewhere must close.
    case joined(peerId: String, replica: String, at: Double)
    case left(peerId: String, replica: String)
    /// A frame for a peer connected to some other replica.
    case frame(target: String, text: String)
    /// The peers registered on `replica`, sent every few seconds: a replica that stops sending is gone.
    case alive(replica: String, peers: [String])
    /// A sidecar's `mesh_status` report (its open DataChannels), for the mesh-wide topology.
    case meshStatus(peerId: String, peers: [String])
    /// The answer so far of a task being worked on (not stored), for hub and A2A streams on every replica.
    case progress(taskId: String, text: String)
    /// Hits one replica counted against a rate limit (`RateLimiter.name`) since its last report, per key.
    case hits(limiter: String, counts: [String: Int])
}
