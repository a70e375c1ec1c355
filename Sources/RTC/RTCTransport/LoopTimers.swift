import NIOCore

/// One NIO timer per event loop for every connection on it: a driver files its connection's next deadline here, and
/// the loop's one scheduled task fires at the earliest, running each one that is due. An idle mesh's connections,
/// their deadlines on the coalescing grid, cost the loop one scheduled task per grid line instead of one each, and a
/// deadline that moves (SCTP's retransmission timer, on every SACK) costs a dictionary write, not a cancelled task.
///
/// `@unchecked Sendable`: its fields are touched only on `loop` (drivers call it from there); `on(_:)` (`LoopBound`)
/// hands out the one instance per loop.
final class LoopTimers: LoopBound, @unchecked Sendable {
    private let loop: any EventLoop
    private var deadlines: [ObjectIdentifier: (at: NIODeadline, fire: () -> Void)] = [:]
    /// The loop's one scheduled task, and when it fires.
    private var scheduled: (at: NIODeadline, task: Scheduled<Void>)?

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Runs `fire` at `deadline` for `owner`, replacing what `owner` filed before.
    func arm(_ owner: ObjectIdentifier, at deadline: NIODeadline, fire: @escaping () -> Void) {
        loop.preconditionInEventLoop()
        deadlines[owner] = (deadline, fire)
        // A later deadline than the task's leaves the task as it is: it finds nothing due and looks again.
        if scheduled.map({ deadline < $0.at }) ?? true { schedule(at: deadline) }
    }

    func cancel(_ owner: ObjectIdentifier) {
        loop.preconditionInEventLoop()
        guard deadlines.removeValue(forKey: owner) != nil, deadlines.isEmpty else { return }
        scheduled?.task.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        scheduled?.task.cancel()
        scheduled = (deadline, loop.assumeIsolated().scheduleTask(deadline: deadline) { self.fired() })
    }

    private func fired() {
        scheduled = nil
        let now = loop.now
        let due = deadlines.filter { $0.value.at <= now }
        for owner in due.keys { deadlines[owner] = nil }
        for entry in due.values { entry.fire() }  // which may file new deadlines
        guard let next = deadlines.values.map(\.at).min() else {
            scheduled?.task.cancel()
            scheduled = nil
            return
        }
        if scheduled?.at != next { schedule(at: next) }
    }
}
