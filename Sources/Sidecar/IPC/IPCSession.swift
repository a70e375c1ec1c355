import Logging
import MeshProtocol
import Synchronization

/// The one connected agent, as the mesh sees it: a place to deliver events.
///
/// Delivery never blocks the mesh. Lines wait in a queue; past `highWater` queued bytes the session
/// reports itself backlogged, and the mesh stops reading from peers until `caughtUp` says the agent
/// is down to `lowWater` again, so a slow agent slows the senders rather than growing our memory.
/// `maxQueuedBytes` is the last resort for what arrives anyway (events, a last batch from SCTP): past it
/// lines are dropped and counted, and the agent is told how many once it catches up.
final class IPCSession: Sendable {
    static let highWater = 4 << 20
    static let lowWater = 1 << 20
    static let maxQueuedBytes = 64 << 20

    let lines: AsyncStream<String>
    private let sink: AsyncStream<String>.Continuation
    /// Yields each time the queue falls to `lowWater` after it went past `highWater`.
    let caughtUp: AsyncStream<Void>
    private let caughtUpSink: AsyncStream<Void>.Continuation
    private struct Backlog {
        var bytes = 0
        var dropped = 0
        var isBacklogged = false
    }
    private let backlog = Mutex(Backlog())
    private let connected = Atomic<Bool>(true)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        (lines, sink) = AsyncStream.makeStream()
        (caughtUp, caughtUpSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `event` for the agent; true when the queue is now past high water.
    @discardableResult
    func deliver(_ event: IPCEvent) -> Bool {
        let line = event.line
        let (accepted, isBacklogged) = backlog.withLock { backlog in
            guard backlog.bytes + line.utf8.count <= Self.maxQueuedBytes else {
                backlog.dropped += 1
                return (false, true)
            }
            backlog.bytes += line.utf8.count
            if backlog.bytes > Self.highWater { backlog.isBacklogged = true }
            return (true, backlog.isBacklogged)
        }
        if accepted {
            sink.yield(line)
        } else {
            logger.warning("agent reads too slowly: dropping an IPC event", metadata: ["queued_bytes": "\(Self.maxQueuedBytes)"])
        }
        return isBacklogged
    }

    var isBacklogged: Bool { backlog.withLock { $0.isBacklogged } }

    /// Called by the writer once `line` is on the socket.
    func written(_ line: String) {
        let (dropped, caughtUp) = backlog.withLock { backlog in
            backlog.bytes -= line.utf8.count
            let caughtUp = backlog.isBacklogged && backlog.bytes <= Self.lowWater
            if caughtUp { backlog.isBacklogged = false }
            defer { if backlog.bytes == 0 { backlog.dropped = 0 } }
            return (backlog.bytes == 0 ? backlog.dropped : 0, caughtUp)
        }
        if caughtUp { caughtUpSink.yield() }
        if dropped > 0 {
            deliver(.error(id: nil, "dropped \(dropped) events because the agent read too slowly"))
        }
    }

    /// False once the agent's end of the socket has closed, even while its last command still runs.
    var isConnected: Bool { connected.load(ordering: .acquiring) }

    /// Marks the agent gone; true for the first call only.
    func markDisconnected() -> Bool {
        connected.exchange(false, ordering: .acquiringAndReleasing)
    }

    func finish() {
        sink.finish()
        caughtUpSink.finish()
    }
}
