import Logging
import Synchronization

/// The one connected agent, as the mesh sees it: a place to deliver events.
///
/// Delivery never blocks the mesh. Lines wait in a queue bounded by bytes; when an agent reads so
/// slowly that the queue is full, further lines are dropped and counted, and the agent is told how
/// many once it catches up, instead of the sidecar's memory growing without limit.
final class IPCSession: Sendable {
    static let maxQueuedBytes = 64 << 20

    let lines: AsyncStream<String>
    private let sink: AsyncStream<String>.Continuation
    private struct Backlog {
        var bytes = 0
        var dropped = 0
    }
    private let backlog = Mutex(Backlog())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        (lines, sink) = AsyncStream.makeStream()
    }

    func deliver(_ event: IPCEvent) {
        let line = event.line
        let accepted = backlog.withLock { backlog in
            guard backlog.bytes + line.utf8.count <= Self.maxQueuedBytes else {
                backlog.dropped += 1
                return false
            }
            backlog.bytes += line.utf8.count
            return true
        }
        if accepted {
            sink.yield(line)
        } else {
            logger.warning("agent reads too slowly: dropping an IPC event", metadata: ["queued_bytes": "\(Self.maxQueuedBytes)"])
        }
    }

    /// Called by the writer once `line` is on the socket.
    func written(_ line: String) {
        let dropped = backlog.withLock { backlog in
            backlog.bytes -= line.utf8.count
            defer { if backlog.bytes == 0 { backlog.dropped = 0 } }
            return backlog.bytes == 0 ? backlog.dropped : 0
        }
        if dropped > 0 {
            deliver(.error(id: nil, "dropped \(dropped) events because the agent read too slowly"))
        }
    }

    func finish() { sink.finish() }
}
