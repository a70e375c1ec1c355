import Logging
import ServiceLifecycle
import Synchronization

/// Orders and batches writes to the store (group commit).
///
/// The state actor appends mutations synchronously, so the journal's order is the order of the in-memory
/// changes; the caller then awaits durability before it acknowledges anything. One writer drains the
/// journal, coalescing repeated writes to a record within a batch, and commits each batch in one
/// transaction, so many concurrent requests share one fsync. When another replica changed one of a
/// batch's records first (`StoreConflict`), only the changes touching it fail; the rest commit.
public final class Journal: Service {
    /// One caller's changes and its wait for them.
    private struct Entry {
        let writes: [StoreWrite]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Buffer {
        var entries: [Entry] = []
        /// Per record, the version the in-memory state holds: what it last loaded, or what its last write
        /// will make it. Stamped on each write when it is appended, in the same isolated step as the
        /// in-memory change, so a write always expects the version its change was computed from.
        var versions: [RecordKey: Int64] = [:]
        /// Records with writes appended and not yet committed or failed, and how many.
        var inFlight: [RecordKey: Int] = [:]
        /// Counts committed batches; per record, the batch that last committed it (recent ones only).
        var generation: UInt64 = 0
        var committedIn: [RecordKey: UInt64] = [:]
        var closed = false

        mutating func settle(_ entries: [Entry], committed: Bool) {
            if committed { generation += 1 }
            for key in entries.flatMap({ $0.writes.map(\.key) }) {
                inFlight[key, default: 1] -= 1
                if inFlight[key] == 0 { inFlight[key] = nil }
                if committed { committedIn[key] = generation }
            }
            // A reload takes seconds at most; far older commits cannot race one.
            if committedIn.count > 100_000 { committedIn = committedIn.filter { $0.value + 10_000 > generation } }
        }
    }

    private let store: any RegistryStore
    private let logger: Logger
    private let buffer = Mutex(Buffer())
    private let wakeStream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(store: any RegistryStore, logger: Logger) {
        self.store = store
        self.logger = logger
        (wakeStream, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Appends mutations in order and returns once they are committed; throws if their batch failed.
    ///
    /// The append happens before the first suspension, so the journal's order is the caller's order.
    /// A failed batch fails only its own waiters: later batches commit normally once the cause is gone.
    func commit(_ mutations: [StoreMutation], isolation: isolated (any Actor)? = #isolation) async throws {
        guard !mutations.isEmpty else { return }
        try await withCheckedThrowingContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, any Error>) in
            let open = buffer.withLock { buffer in
                guard !buffer.closed else { return false }
                buffer.entries.append(Entry(writes: Self.stamp(mutations, versions: &buffer.versions), continuation: continuation))
                for mutation in mutations { buffer.inFlight[mutation.key, default: 0] += 1 }
                return true
            }
            if open { wake.yield() } else { continuation.resume(throwing: JournalClosed()) }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeStream {
                await drain()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await drain()
        let stranded = buffer.withLock { buffer in
            buffer.closed = true
            defer { buffer.entries.removeAll() }
            return buffer.entries
        }
        for entry in stranded { entry.continuation.resume(throwing: JournalClosed()) }
        // Closing must happen even when this service was cancelled rather than shut down gracefully,
        // so it runs outside the (possibly cancelled) current task.
        let store = self.store
        try await Task { try await store.close() }.value
    }

    /// Commits everything buffered so far, batch by batch.
    private func drain() async {
        while true {
            var entries = buffer.withLock { buffer in
                defer { buffer.entries.removeAll(keepingCapacity: true) }
                return buffer.entries
            }
            guard !entries.isEmpty else { return }
            while !entries.isEmpty {
                do {
                    try await store.apply(Self.coalesced(entries.flatMap(\.writes)))
                    buffer.withLock { $0.settle(entries, committed: true) }
                    for entry in entries { entry.continuation.resume() }
                    entries = []
                } catch let conflict as StoreConflict {
                    // Fail the changes that touch a record another replica changed first; retry the rest.
                    var (lost, rest) = entries.partitioned { $0.writes.contains { conflict.keys.contains($0.key) } }
                    if lost.isEmpty { (lost, rest) = (rest, []) }
                    buffer.withLock { $0.settle(lost, committed: false) }
                    for entry in lost { entry.continuation.resume(throwing: conflict) }
                    entries = rest
                } catch {
                    logger.error("store commit failed", metadata: ["error": "\(error)", "mutations": "\(entries.count)"])
                    buffer.withLock { $0.settle(entries, committed: false) }
                    for entry in entries { entry.continuation.resume(throwing: error) }
                    entries = []
                }
            }
        }
    }

    /// Writes for these mutations, each expecting the version the state holds and advancing it.
    static func stamp(_ mutations: [StoreMutation], versions: inout [RecordKey: Int64]) -> [StoreWrite] {
        mutations.map { mutation in
            let expected = versions[mutation.key] ?? 0
            let next: Int64
            switch mutation {
            case .put: next = expected + 1
            case .delete: next = 0
            }
            versions[mutation.key] = next == 0 ? nil : next
            return StoreWrite(mutation, expectedVersion: expected, newVersion: next)
        }
    }

    /// Stamps writes for a caller that commits them to the store itself (start-up, before the writer runs).
    func stamp(_ mutations: [StoreMutation]) -> [StoreWrite] {
        buffer.withLock { Self.stamp(mutations, versions: &$0.versions) }
    }

    /// Records the versions of records just loaded into memory (absent `keys` are gone); called in the same
    /// isolated step that puts them into memory.
    func track(_ records: [StoredRecord], absent keys: Set<RecordKey> = []) {
        buffer.withLock { buffer in
            for key in keys { buffer.versions[key] = nil }
            for record in records where record.version > 0 { buffer.versions[record.key] = record.version }
        }
    }

    /// Where the journal is now, for `written(_:since:)`.
    func mark() -> UInt64 {
        buffer.withLock { $0.generation }
    }

    /// Those of `keys` this replica has written since `mark` or is writing now: a load that began at `mark`
    /// may be older than memory for them.
    func written(_ keys: Set<RecordKey>, since mark: UInt64) -> Set<RecordKey> {
        buffer.withLock { buffer in keys.filter { buffer.inFlight[$0] != nil || (buffer.committedIn[$0] ?? 0) > mark } }
    }

    /// The version the in-memory state holds of a record (0: none).
    func version(of key: RecordKey) -> Int64 {
        buffer.withLock { $0.versions[key] ?? 0 }
    }

    /// One write per record: the last one's mutation and version, expecting the first one's version (the
    /// batch commits atomically, so order across records does not matter).
    static func coalesced(_ batch: [StoreWrite]) -> [StoreWrite] {
        var merged: [RecordKey: StoreWrite] = [:]
        var order: [RecordKey] = []
        for write in batch {
            if var earlier = merged[write.key] {
                earlier.mutation = write.mutation
                earlier.newVersion = write.newVersion
                merged[write.key] = earlier
            } else {
                merged[write.key] = write
                order.append(write.key)
            }
        }
        return order.map { merged[$0]! }
    }
}

/// A write arrived after the journal shut down; it was not persisted.
struct JournalClosed: Error, CustomStringConvertible {
    var description: String { "registry is shutting down; change not persisted" }
}

extension Array {
    /// Splits into the elements that satisfy `predicate` and those that do not, keeping order.
    func partitioned(by predicate: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if predicate(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}
