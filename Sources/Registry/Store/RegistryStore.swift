/// The kinds of record the registry persists.
public enum RecordKind: String, Sendable, Hashable, CaseIterable {
    case agent, task, pairing, code, owner, apiKey = "api_key"
}

/// One change to persisted state. Bodies are JSON documents, so any SQL store can hold them in one table.
public enum StoreMutation: Sendable, Hashable {
    case put(RecordKind, id: String, body: String)
    case delete(RecordKind, id: String)

    var key: RecordKey {
        switch self {
        case .put(let kind, let id, _), .delete(let kind, let id): RecordKey(kind: kind, id: id)
        }
    }
}

/// A mutation as committed: with the record's version this replica last saw (0: none) and the version it
/// becomes. A store shared by replicas applies it only if the stored version is still `expectedVersion`.
public struct StoreWrite: Sendable, Hashable {
    public var mutation: StoreMutation
    public var expectedVersion: Int64
    public var newVersion: Int64

    /// A write of a record this replica believes new.
    public init(_ mutation: StoreMutation, expectedVersion: Int64 = 0, newVersion: Int64 = 1) {
        self.mutation = mutation
        self.expectedVersion = expectedVersion
        self.newVersion = newVersion
    }

    var key: RecordKey { mutation.key }
}

public struct RecordKey: Hashable, Sendable {
    public let kind: RecordKind
    public let id: String
}

/// A persisted record as loaded.
public struct StoredRecord: Sendable, Hashable {
    public let kind: RecordKind
    public let id: String
    public let body: String
    /// Its version, where the store keeps versions (a shared store); 0 otherwise.
    public var version: Int64 = 0

    var key: RecordKey { RecordKey(kind: kind, id: id) }
}

/// Durable storage behind the registry. Routes never see it: the in-memory state applies changes and
/// hands them here through the `Journal`, which batches and orders them.
/// `SQLiteRegistryStore` is the embedded default; `PostgresRegistryStore` lets several replicas share one database.
public protocol RegistryStore: Sendable {
    /// Every stored record, for rebuilding the in-memory state at start-up.
    func loadAll() async throws -> [StoredRecord]
    /// The stored versions of these records (absent ones are left out), for undoing a change whose
    /// commit failed.
    func load(_ keys: [RecordKey]) async throws -> [StoredRecord]
    /// Applies a batch (one write per record) atomically: after it returns, the whole batch survives a
    /// crash of the process; after it throws, none of it was applied. A shared store throws
    /// `StoreConflict` when another replica changed a record since its `expectedVersion`.
    func apply(_ batch: [StoreWrite]) async throws
    /// Succeeds when the store can take writes now (the readiness check).
    func ping() async throws
    func close() async throws
    /// How this store's replicas reach each other, when several registries may share it.
    var replication: (any ReplicaLink)? { get }
}

extension RegistryStore {
    public var replication: (any ReplicaLink)? { nil }
}
