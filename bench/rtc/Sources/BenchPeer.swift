import DTLS
import DataChannel
import Foundation
import PeerConnection
import RTCTransport
import SDP
import NIOCore
import Synchronization

/// One side of a benchmark connection: a PeerConnectionDriver (its own socket, on an event loop of
/// NIO's shared group) whose events are handled on that loop and routed to whatever the running
/// measurement installed, as an application on the loop would (no task switch per message).
final class BenchPeer: Sendable {
    let driver: PeerConnectionDriver

    private let routes: Routes

    init(dtls: DTLSContext, busyPollLimit: TimeAmount) {
        let routes = Routes()
        self.routes = routes
        driver = PeerConnectionDriver(configuration: .init(dtls: dtls), events: .onLoop { batch in
            for event in batch { routes.handle(event) }
        }, busyPollLimit: busyPollLimit)
    }

    /// The open channel's stream, waiting for it to open.
    func openedStream() async -> UInt16 {
        await withCheckedContinuation { continuation in
            let ready = routes.state.withLock { routing -> UInt16? in
                if let stream = routing.stream { return stream }
                routing.openWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func onMessage(_ handler: @escaping @Sendable (DataChannelMessage) -> Void) {
        routes.state.withLock { $0.onMessage = handler }
    }

    func send(_ message: DataChannelMessage) async {
        driver.enqueue(message, on: await openedStream())
    }

    /// Sends on the open channel without waiting (from an `onMessage` handler, on the loop).
    func sendOnOpenChannel(_ message: DataChannelMessage) {
        guard let stream = routes.state.withLock({ $0.stream }) else { return }
        driver.enqueue(message, on: stream)
    }

    /// Sends, then waits while more than `limit` bytes are buffered, as a WebRTC application would.
    func sendPaced(_ message: DataChannelMessage, limit: Int) async {
        let stream = await openedStream()
        let seen = routes.state.withLock { $0.lowEvents }
        driver.enqueue(message, on: stream)
        guard driver.bufferedAmount > limit else { return }
        await withCheckedContinuation { continuation in
            let already = routes.state.withLock { routing -> Bool in
                if routing.lowEvents > seen { return true }
                routing.lowWaiter = (seen, continuation)
                return false
            }
            if already { continuation.resume() }
        }
    }

    func close() async { await driver.close() }
}

/// Connects two fresh peers over loopback with in-process signaling (candidates travel in the SDP);
/// returns the time from the first bind to both channels open.
func connectPair(dtls: DTLSContext, busyPollLimit: TimeAmount) async throws -> (offerer: BenchPeer, answerer: BenchPeer, setup: Duration) {
    let offerer = BenchPeer(dtls: dtls, busyPollLimit: busyPollLimit), answerer = BenchPeer(dtls: dtls, busyPollLimit: busyPollLimit)
    let started = ContinuousClock.now
    _ = try await offerer.driver.bind(host: "127.0.0.1")
    _ = try await answerer.driver.bind(host: "127.0.0.1")
    let offer = try await offerer.driver.withConnection { connection, now in
        connection.createDataChannel(label: "bench")
        return connection.createOffer(now: now).serialized()
    }
    let answer = try await answerer.driver.withConnection { connection, now in
        try connection.setRemoteDescription(try SessionDescription(parsing: offer), now: now)
        return try connection.createAnswer().serialized()
    }
    try await offerer.driver.withConnection { connection, now in
        try connection.setRemoteDescription(try SessionDescription(parsing: answer), now: now)
    }
    _ = await offerer.openedStream()
    _ = await answerer.openedStream()
    return (offerer, answerer, ContinuousClock.now - started)
}

/// Where a peer's events go; the driver's handler holds this, not the peer, so nothing keeps itself alive.
private final class Routes: Sendable {
    struct Routing {
        var stream: UInt16?
        var openWaiter: CheckedContinuation<UInt16, Never>?
        /// Called on the event loop; it must not block.
        var onMessage: (@Sendable (DataChannelMessage) -> Void)?
        /// Counts `bufferedAmountLow` events, so a sender can wait for "one more than I saw".
        var lowEvents = 0
        var lowWaiter: (seen: Int, continuation: CheckedContinuation<Void, Never>)?
    }
    let state = Mutex(Routing())

    func handle(_ event: PeerConnectionEvent) {
        switch event {
        case .channelOpened(let stream, _):
            let waiter = state.withLock { routing in
                routing.stream = stream
                defer { routing.openWaiter = nil }
                return routing.openWaiter
            }
            waiter?.resume(returning: stream)
        case .message(_, let message):
            state.withLock { $0.onMessage }?(message)
        case .bufferedAmountLow:
            let waiter = state.withLock { routing -> CheckedContinuation<Void, Never>? in
                routing.lowEvents += 1
                defer { routing.lowWaiter = nil }
                return routing.lowWaiter?.continuation
            }
            waiter?.resume()
        case .stateChanged(.failed):
            // A measurement would wait forever for what can no longer arrive: say so and stop.
            FileHandle.standardError.write(Data("rtc-bench: a connection failed during the measurement\n".utf8))
            exit(1)
        case .localCandidate, .stateChanged, .channelClosed:
            break
        }
    }
}
