#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HummingbirdWSClient
import Logging
import MeshProtocol
import NIOCore
import NIOSSL
import Synchronization

/// What the signaling connection reports to the mesh.
enum SignalingEvent: Sendable {
    /// Connected and `register` sent; a `peer_list` follows.
    case connected
    case message(SignalingMessage)
    case disconnected
}

/// The sidecar's connection to the registry's `/ws`: registers, relays frames both ways, and
/// reconnects with jittered backoff (0.5 s to 30 s, reset once a connection is up) for as long as it
/// runs, to the next of several replicas' URLs each time. Losing it never touches peer connections: the
/// mesh decides what a gap in signaling means.
final class SignalingClient: Sendable {
    let peerId: String
    let events: AsyncStream<SignalingEvent>
    private let eventSink: AsyncStream<SignalingEvent>.Continuation
    private let signalingURLs: [String]
    /// The URL of the next connection attempt.
    private let next = Mutex(0)
    /// Used for a `wss://` URL: the system trust store plus `CA_FILE`.
    private let tls: TLSConfiguration
    private let registry: RegistryClient
    private let logger: Logger
    /// The current connection's outgoing frames, nil while disconnected.
    private let outgoing = Mutex<AsyncStream<String>.Continuation?>(nil)
    private let token: Mutex<SignalingToken>
    /// The connection attempt running now, so `reconnect` can end it.
    private let attempt = Mutex<Task<Void, any Error>?>(nil)

    /// Largest frame the registry accepts (CONTRACT.md §2).
    static let maxFrameSize = 1 << 16

    init(signalingURLs: [String], tls: TLSConfiguration, registry: RegistryClient, initialToken: SignalingToken, logger: Logger) {
        self.signalingURLs = signalingURLs
        self.tls = tls
        self.registry = registry
        self.logger = logger
        peerId = initialToken.peerId
        token = Mutex(initialToken)
        (events, eventSink) = AsyncStream.makeStream()
    }

    /// Sends a frame if connected; frames sent while disconnected are dropped (the mesh renegotiates
    /// whatever they were part of after the next `peer_list`).
    func send(_ message: SignalingMessage) {
        guard let data = try? JSONEncoder().encode(message) else { return }
        let text = String(decoding: data, as: UTF8.self)
        _ = outgoing.withLock { $0?.yield(text) }
    }

    /// Connects and reconnects until cancelled.
    func run() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let current = try await freshToken()
                let connection = Task { try await self.connect(with: current) }
                attempt.withLock { $0 = connection }
                try await withTaskCancellationHandler { try await connection.value } onCancel: { connection.cancel() }
                logger.warning("signaling connection closed")
            } catch TokenError.rejected(let status, let message) {
                logger.error("the registry refuses our credential; retrying", metadata: ["status": "\(status)", "error": "\(message)"])
            } catch {
                logger.warning("signaling connection failed", metadata: ["error": "\(error)"])
            }
            // A connection that got as far as registering was a success: start the backoff over.
            let wasConnected = outgoing.withLock { sink in
                defer { sink = nil }
                return sink != nil
            }
            if wasConnected {
                backoff.reset()
            } else {
                // The upgrade failed: the registry may have restarted with other keys, so fetch a new token.
                token.withLock { $0.expiresAt = .now }
            }
            eventSink.yield(.disconnected)
            // The replica went away or cannot be reached: the next attempt goes to the next one.
            next.withLock { $0 = ($0 + 1) % signalingURLs.count }
            let wait = backoff.next()
            logger.info("reconnecting to signaling", metadata: ["in_ms": "\(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)"])
            try? await Task.sleep(for: wait)
        }
        eventSink.finish()
    }

    /// Ends the current connection and connects again: one that left from an address the machine no longer has
    /// would otherwise look open until TCP gives up on it.
    func reconnect() {
        attempt.withLock { $0?.cancel() }
    }

    /// The current JWT, renewed first when it is about to lapse.
    func freshToken() async throws -> SignalingToken {
        let cached = token.withLock { $0 }
        if cached.isFresh(at: .now) { return cached }
        let renewed = try await registry.fetchToken()
        token.withLock { $0 = renewed }
        return renewed
    }

    private func connect(with current: SignalingToken) async throws {
        let signalingURL = signalingURLs[next.withLock { $0 }]
        let separator = signalingURL.contains("?") ? "&" : "?"
        let url = "\(signalingURL)\(separator)token=\(current.token)"
        let (frames, sink) = AsyncStream<String>.makeStream()
        _ = try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: Self.maxFrameSize), tlsConfiguration: tls, logger: logger) {
            inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in frames { try await outbound.write(.text(text)) }
                }
                group.addTask { try await self.keepTokenFresh() }
                self.outgoing.withLock { $0 = sink }
                self.send(SignalingMessage(peerId: self.peerId, .register))
                self.logger.info("signaling connected", metadata: ["peer_id": "\(self.peerId)", "url": "\(signalingURL)"])
                self.eventSink.yield(.connected)
                for try await message in inbound.messages(maxSize: Self.maxFrameSize) {
                    guard case .text(let text) = message,
                          let frame = try? JSONDecoder().decode(SignalingMessage.self, from: Data(text.utf8))
                    else { continue }
                    self.eventSink.yield(.message(frame))
                }
                sink.finish()
                group.cancelAll()
            }
        }
    }

    /// Renews the JWT a minute before it lapses, so a reconnect after an outage needs no token round trip
    /// when the registry comes back.
    private func keepTokenFresh() async throws {
        while true {
            let expiresAt = token.withLock { $0.expiresAt }
            try await Task.sleep(until: expiresAt - .seconds(90), clock: .continuous)
            do {
                let renewed = try await registry.fetchToken()
                token.withLock { $0 = renewed }
            } catch {
                logger.warning("cannot refresh the signaling token", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(10))
            }
        }
    }
}
