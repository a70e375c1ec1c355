#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MeshProtocol
import NIOCore
import PeerConnection
import RTCTransport

/// The sidecar's data path, on one event loop with every peer connection and the agent's IPC connection: an
/// agent's `send` goes from its IPC line straight into the peer's DataChannel, and a peer's message from the
/// DataChannel straight into the lines for the agent, which leave in one write per loop turn. No task switch,
/// actor hop or thread wake-up on the way.
///
/// The `Mesh` actor decides which links exist (`addRoute`, `removeRoute`); each route passes its link's other
/// events (candidates, state, the channel opening and closing) on to the actor, in order.
///
/// `@unchecked Sendable`: every field is touched only on `loop` (each entry point asserts it); the actor reaches
/// it with `loop.execute`.
final class DataPlane: @unchecked Sendable {
    let loop: any EventLoop
    let logger: Logger
    /// How long the loop may stay awake after a message waiting for the next (`PeerConnectionDriver`'s busy poll).
    let busyPollLimit: TimeAmount

    /// A link the actor made.
    struct Route {
        let generation: UInt64
        let driver: PeerConnectionDriver
        /// The events the actor handles, in order.
        let control: AsyncStream<[PeerConnectionEvent]>.Continuation
        /// The remote's peer id as a JSON string, for the lines its messages become.
        let quotedRemote: String
        /// The `mesh` DataChannel's stream once it is open.
        var stream: UInt16?
    }
    /// By remote peer id.
    var routes: [String: Route] = [:]

    /// The connection of the attached agent, if one is.
    var agent: IPCConnectionHandler?
    /// Lines for the agent not handed to its channel yet: this loop turn's, or, with no agent attached, the
    /// messages held for the next one (up to `maxHeldBytes`).
    var pending: [ByteBuffer] = []
    var pendingBytes = 0
    var flushScheduled = false
    /// Bytes handed to the agent's channel and not yet on its socket.
    var inFlightBytes = 0
    /// Lines dropped because the agent read too slowly; it is told once it has caught up.
    var droppedLines = 0
    /// Whether open links are paused because the agent (or the messages held for one) is backlogged.
    var peersPaused = false

    /// Past `highWater` bytes waiting for the agent, peers are no longer read until it is down to `lowWater`, so a
    /// slow agent slows the senders rather than growing our memory. What arrives anyway (events, a last batch from
    /// SCTP) is dropped past `maxQueuedBytes` and counted.
    static let highWater = 4 << 20
    static let lowWater = 1 << 20
    static let maxQueuedBytes = 64 << 20
    /// Messages kept while no agent is attached (for example while it restarts its IPC connection).
    static let maxHeldBytes = 16 << 20
    /// An agent's send that leaves more than this waiting for one peer holds its next commands until that peer's
    /// buffer is down to low water: backpressure, not memory.
    static let sendHighWater = 8 << 20

    init(loop: any EventLoop, busyPollLimit: TimeAmount = PeerConnectionDriver.defaultBusyPollLimit, logger: Logger) {
        self.loop = loop
        self.busyPollLimit = busyPollLimit
        self.logger = logger
    }

    var openPeers: [String] { routes.filter { $0.value.stream != nil }.keys.sorted() }

    // MARK: Routes (called by the actor through `loop.execute`)

    func addRoute(to remote: String, generation: UInt64, driver: PeerConnectionDriver, control: AsyncStream<[PeerConnectionEvent]>.Continuation) {
        loop.preconditionInEventLoop()
        routes[remote] = Route(generation: generation, driver: driver, control: control, quotedRemote: IPCCommand.quoted(remote))
    }

    /// The link is gone: no more of its messages reach the agent, which hears `peer_disconnected` if its channel
    /// was open, and a send waiting for it gives up.
    func removeRoute(to remote: String, generation: UInt64) {
        loop.preconditionInEventLoop()
        guard let route = routes[remote], route.generation == generation else { return }
        routes[remote] = nil
        route.control.finish()
        if route.stream != nil { deliver(.peerDisconnected(remote)) }
        agent?.peerDrained(remote, generation: generation, closed: true)
    }

    // MARK: A link's events (its driver's handler, on the loop)

    /// Messages and buffer levels are handled here; the rest go on to the actor. An open channel is announced to the
    /// agent here, so `peer_connected` always comes before that peer's first message.
    func linkEvents(_ batch: [PeerConnectionEvent], remote: String, generation: UInt64) {
        loop.preconditionInEventLoop()
        // Routes change only in the actor's loop tasks, never while a batch is handled: the copy stays current.
        guard var route = routes[remote], route.generation == generation else { return }
        var forward: [PeerConnectionEvent] = []
        for event in batch {
            switch event {
            case .message(let stream, let message):
                guard stream == route.stream else { continue }
                received(message, from: route, remote: remote)
            case .channelOpened(let stream, _):
                if route.stream == nil {
                    route.stream = stream
                    routes[remote] = route
                    if peersPaused { route.driver.setReceivePaused(true) }
                    deliver(.peerConnected(remote))
                }
                forward.append(event)
            case .bufferedAmountLow:
                agent?.peerDrained(remote, generation: generation, closed: false)
            case .localCandidate, .channelClosed, .stateChanged:
                forward.append(event)
            }
        }
        if !forward.isEmpty { route.control.yield(forward) }
    }

    /// A message off a DataChannel: answered here if it is a mesh-level `ping`, else passed to the agent as it came.
    private func received(_ message: DataChannelMessage, from route: Route, remote: String) {
        switch message {
        case .text(var text): text.withUTF8 { received($0, from: route, remote: remote) }
        case .binary(let bytes): bytes.withUnsafeBufferPointer { received($0, from: route, remote: remote) }
        }
    }

    private func received(_ bytes: UnsafeBufferPointer<UInt8>, from route: Route, remote: String) {
        guard let type = MeshMessage.peekType(bytes) else {
            logger.warning("dropping a DataChannel message that is not a JSON object", metadata: ["remote": "\(remote)", "bytes": "\(bytes.count)"])
            return
        }
        if type == .ping {
            if let stream = route.stream, let pong = Self.pong(answering: bytes) { route.driver.enqueue(.text(pong), on: stream) }
            return
        }
        deliverMessage(bytes, quotedPeer: route.quotedRemote)
    }

    /// The `pong` for a `ping`'s bytes, as compact JSON; nil if they are not a MeshMessage.
    private static func pong(answering ping: UnsafeBufferPointer<UInt8>) -> String? {
        guard let message = try? JSONDecoder().decode(MeshMessage.self, from: Data(ping)) else { return nil }
        return IPCCommand.compactJSON(message.pong)
    }

    // MARK: The agent's commands (its connection handler, on the loop)

    enum SendOutcome {
        case sent
        /// Sent, and more than `sendHighWater` now waits for the peer: the agent's next command waits for it.
        case sentAboveHighWater(generation: UInt64)
        case notOpen
    }

    func send(_ text: String, to target: String) -> SendOutcome {
        loop.preconditionInEventLoop()
        guard let route = routes[target], let stream = route.stream else { return .notOpen }
        route.driver.enqueue(.text(text), on: stream)
        return route.driver.bufferedAmount > Self.sendHighWater ? .sentAboveHighWater(generation: route.generation) : .sent
    }

    /// Sends to every open peer; the first left above high water, if any, is the one to wait for.
    func broadcast(_ text: String) -> (remote: String, generation: UInt64)? {
        loop.preconditionInEventLoop()
        var wait: (remote: String, generation: UInt64)?
        for (remote, route) in routes {
            guard let stream = route.stream else { continue }
            route.driver.enqueue(.text(text), on: stream)
            if wait == nil, route.driver.bufferedAmount > Self.sendHighWater { wait = (remote, route.generation) }
        }
        return wait
    }
}
