import Foundation
import Synchronization

/// Fans hub events out to subscribed dashboards, each through its own bounded queue.
public final class HubEventBus: Sendable {
    private let subscribers = Mutex<[UUID: Subscriber]>([:])

    struct Subscriber {
        let isAdmin: Bool
        let queue: OutboundQueue
    }

    public init() {}

    func subscribe(isAdmin: Bool, queue: OutboundQueue) -> UUID {
        let id = UUID()
        subscribers.withLock { $0[id] = Subscriber(isAdmin: isAdmin, queue: queue) }
        return id
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
