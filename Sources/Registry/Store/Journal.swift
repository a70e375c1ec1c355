import Logging
import ServiceLifecycle
import Synchronization

/// Orders and batches writes to the store (group commit).
///
/// The state actor appends mutations synchronously, so the journal's order is the order of the in-memory
/// changes; the caller then awaits durability before it acknowledges anything. One writer drains the
/// journal, coalescing repeated writes to a record within a batch, and commits each batch in one
/// transaction, so many concurrent requests share one fsync.
public final class Journal: Service {
    private struct Waiter {
        let sequence: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Buffer {
        var mutations: [StoreMutation] = []
        var lastSequence: UInt64 = 0
        var waiters: [Waiter] = []
        var closed = false
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
                buffer.mutations.append(contentsOf: mutations)
                buffer.lastSequence += 1
                buffer.waiters.append(Waiter(sequence: buffer.lastSequence, continuation: continuation))
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
            defer { buffer.waiters.removeAll() }
            return buffer.waiters
        }
        for waiter in stranded { waiter.continuation.resume(throwing: JournalClosed()) }
        // Closing must happen even when this service was cancelled rather than shut down gracefully,
        // so it runs outside the (possibly cancelled) current task.
        let store = self.store
        try await Task { try await store.close() }.value
    }

    /// Commits everything buffered so far, batch by batch.
    private func drain() async {
        while true {
            let (batch, upTo) = buffer.withLock { buffer in
                let batch = buffer.mutations
                buffer.mutations.removeAll(keepingCapacity: true)
                return (batch, buffer.lastSequence)
            }
            guard !batch.isEmpty else { return }
            let outcome: Result<Void, any Error>
            do {
                try await store.apply(Self.coalesced(batch))
                outcome = .success(())
            } catch {
                logger.error("store commit failed", metadata: ["error": "\(error)", "mutations": "\(batch.count)"])
                outcome = .failure(error)
            }
            let ready = buffer.withLock { buffer in
                let (ready, waiting) = buffer.waiters.partitioned { $0.sequence <= upTo }
                buffer.waiters = waiting
                return ready
            }
            for waiter in ready { waiter.continuation.resume(with: outcome) }
        }
    }

    /// Keeps only the last mutation of each record (the batch commits atomically, so order across
    /// records does not matter).
    static func coalesced(_ batch: [StoreMutation]) -> [StoreMutation] {
        var latest: [RecordKey: Int] = [:]
        for (index, mutation) in batch.enumerated() { latest[mutation.key] = index }
        return batch.enumerated().compactMap { index, mutation in latest[mutation.key] == index ? mutation : nil }
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
