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

public struct RecordKey: Hashable, Sendable {
    public let kind: RecordKind
    public let id: String
}

/// A persisted record as loaded at start-up.
public struct StoredRecord: Sendable, Hashable {
    public let kind: RecordKind
    public let id: String
    public let body: String
}

/// Durable storage behind the registry. Routes never see it: the in-memory state applies changes and
/// hands them here through the `Journal`, which batches and orders them.
/// A PostgreSQL store implements the same calls.
public protocol RegistryStore: Sendable {
    /// Every stored record, for rebuilding the in-memory state at start-up.
    func loadAll() async throws -> [StoredRecord]
    /// The stored versions of these records (absent ones are left out), for undoing a change whose
    /// commit failed.
    func load(_ keys: [RecordKey]) async throws -> [StoredRecord]
    /// Applies a batch atomically: after it returns, the whole batch survives a crash of the process;
    /// after it throws, none of it was applied.
    func apply(_ batch: [StoreMutation]) async throws
    func close() async throws
}
