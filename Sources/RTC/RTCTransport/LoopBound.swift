import NIOCore
import Synchronization

/// A helper with one instance per event loop, shared by every connection on that loop (`LoopTimers`, `BusyPoll`).
protocol LoopBound: AnyObject, Sendable {
    /// Made once per loop, by `on(_:)`; the instance keeps `loop`, so no later loop reuses its identifier.
    init(loop: any EventLoop)
}

extension LoopBound {
    /// The instance of `loop`, made on first use.
    static func on(_ loop: any EventLoop) -> Self {
        loopBoundInstances.withLock { instances in
            let key = LoopBoundKey(type: ObjectIdentifier(Self.self), loop: ObjectIdentifier(loop))
            if let existing = instances[key] as? Self { return existing }
            let created = Self(loop: loop)
            instances[key] = created
            return created
        }
    }
}

private struct LoopBoundKey: Hashable {
    let type: ObjectIdentifier
    let loop: ObjectIdentifier
}

private let loopBoundInstances = Mutex<[LoopBoundKey: any LoopBound]>([:])
