import Foundation
import MeshProtocol
import Synchronization

/// Fans hub events out to subscribed dashboards, each through its own bounded queue, and each task's changes to
/// those watching that task (an A2A call waiting for its result).
public final class HubEventBus: Sendable {
    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let taskWatchers = Mutex<[String: [UUID: AsyncStream<TaskChange>.Continuation]]>([:])

    struct Subscriber {
        let identity: Identity
        let queue: OutboundQueue
    }

    public init() {}

    /// Adds a subscriber unless its credential already has `limit` open; nil when refused.
    func subscribe(_ identity: Identity, queue: OutboundQueue, limit: Int) -> UUID? {
        let id = UUID()
        return subscribers.withLock { subscribers in
            guard Self.streams(of: identity.peerId, in: subscribers) < limit else { return nil }
            subscribers[id] = Subscriber(identity: identity, queue: queue)
            return id
        }
    }

    /// Streams `peerId`'s credential has open now.
    func streams(of peerId: String) -> Int {
        subscribers.withLock { Self.streams(of: peerId, in: $0) }
    }

    private static func streams(of peerId: String, in subscribers: [UUID: Subscriber]) -> Int {
        subscribers.values.lazy.filter { $0.identity.peerId == peerId }.count
    }

    /// Closes the streams opened with a revoked API key.
    func disconnect(keyId: String, reason: String) {
        let queues = subscribers.withLock { $0.values.filter { $0.identity.keyId == keyId }.map(\.queue) }
        for queue in queues { queue.close(code: 4003, reason: reason) }
    }

    func unsubscribe(_ id: UUID) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Every later change of task `id`, until the stream is dropped (its termination unwatches it).
    func watch(task id: String) -> AsyncStream<TaskChange> {
        let watcher = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: TaskChange.self, bufferingPolicy: .bufferingNewest(16))
        continuation.onTermination = { [weak self] _ in
            self?.taskWatchers.withLock { watchers in
                watchers[id]?[watcher] = nil
                if watchers[id]?.isEmpty == true { watchers[id] = nil }
            }
        }
        taskWatchers.withLock { $0[id, default: [:]][watcher] = continuation }
        return stream
    }

    func publish(_ event: HubEvent) {
        if let (taskId, change) = event.change {
            for watcher in taskWatchers.withLock({ $0[taskId].map { Array($0.values) } ?? [] }) { watcher.yield(change) }
        }
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter { event.audience == .everyone || $0.identity.isAdmin }.map(\.queue)
        }
        for queue in targets { queue.send(event.frame) }
    }
}
