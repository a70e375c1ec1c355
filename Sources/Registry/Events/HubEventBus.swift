import Foundation
import Synchronization

/// Fans hub events out to subscribed dashboards, each through its own bounded queue.
public final class HubEventBus: Sendable {
    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    struct Subscriber {
        let isAdmin: Bool
        let credential: String
        let queue: OutboundQueue
    }

    public init() {}

    /// Adds a subscriber unless its credential already has `limit` open; nil when refused.
    func subscribe(isAdmin: Bool, credential: String, queue: OutboundQueue, limit: Int) -> UUID? {
        let id = UUID()
        return subscribers.withLock { subscribers in
            guard subscribers.values.filter({ $0.credential == credential }).count < limit else { return nil }
            subscribers[id] = Subscriber(isAdmin: isAdmin, credential: credential, queue: queue)
            return id
        }
    }

    func unsubscribe(_ id: UUID) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    var subscriberCount: Int { subscribers.withLock { $0.count } }

    func publish(_ event: HubEvent) {
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter { event.audience == .everyone || $0.isAdmin }.map(\.queue)
        }
        for queue in targets { queue.send(event.frame) }
    }
}
