import Foundation
import Logging
import MeshProtocol
import NIOCore
import NIOPosix

/// The agent's end of the sidecar's IPC socket (CONTRACT.md §3): newline-delimited JSON, commands acknowledged
/// by id, requests matched to replies by `request_id`. Reconnects whenever the sidecar goes away.
///
/// Incoming requests are handed out as `events` and never handled on the read path, so a handler that itself
/// waits for a reply over the mesh (nested delegation) cannot block the reader.
public actor MeshClient {
    public enum Event: Sendable, Equatable {
        case attached
        case detached
        case peerConnected(String)
        case peerDisconnected(String)
        /// A MeshMessage from a peer that is not a reply to one of our requests.
        case message(fromPeer: String, MeshMessage)
    }

    struct Pending<Value: Sendable> {
        let continuation: CheckedContinuation<Value, any Error>
        let timer: Task<Void, Never>
    }

    let socketPath: String
    let ipcToken: String?
    let logger: Logger
    /// IPC lines longer than this end the connection (the sidecar's own limit is 2 MiB).
    static let maxLineBytes = 4 << 20

    public nonisolated let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation

    private var writer: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    public private(set) var peers: Set<String> = []
    private var pendingAcks: [String: Pending<Void>] = [:]
    private var pendingReplies: [String: Pending<MeshMessage>] = [:]
    /// The pieces of replies still being written, by request id, for requests that take them.
    private var chunkSinks: [String: AsyncStream<String>.Continuation] = [:]
    private var commandCounter = 0

    public init(socketPath: String, ipcToken: String?, logger: Logger) {
        self.socketPath = socketPath
        self.ipcToken = ipcToken
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
    }

    public var isAttached: Bool { writer != nil }

    public func isConnected(to peer: String) -> Bool { peers.contains(peer) }

    /// Connects, serves the connection until it ends, and connects again, until the task is cancelled.
    public func run() async {
        var delay = Duration.milliseconds(50)
        var lastWarning = ContinuousClock.now - .seconds(60)
        while !Task.isCancelled {
            do {
                let channel = try await connect()
                delay = .milliseconds(50)
                try await serve(channel)
                logger.warning("sidecar IPC connection closed; reconnecting")
            } catch is CancellationError {
                break
            } catch {
                // The socket appears only once the sidecar is up: retry quietly, warn now and then.
                if ContinuousClock.now - lastWarning > .seconds(30) {
                    logger.debug("waiting for the sidecar's IPC socket", metadata: ["socket": "\(socketPath)", "error": "\(error)"])
                    lastWarning = .now
                }
            }
            detach()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
        detach()
        eventSink.finish()
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: MeshClient.maxLineBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await channel.executeThenClose { inbound, outbound in
            if let ipcToken {
                try await outbound.write(ByteBuffer(string: IPCCommand(kind: .hello(token: ipcToken)).line))
            }
            writer = outbound
            logger.info("attached to the sidecar", metadata: ["socket": "\(socketPath)"])
            eventSink.yield(.attached)
            for try await line in inbound {
                handle(line: line)
            }
        }
    }

    /// Forgets the connection: peers are gone and everything waiting on it fails now rather than at its timeout.
    private func detach() {
        guard writer != nil else { return }
        writer = nil
        for peer in peers { eventSink.yield(.peerDisconnected(peer)) }
        peers.removeAll()
        // The sidecar drops what arrives while no agent is attached, so no reply can come for these any more.
        for id in Array(pendingAcks.keys) { settleAck(id, with: .failure(MeshClientError.connectionLost)) }
        for id in Array(pendingReplies.keys) { settleReply(id, with: MeshClientError.connectionLost) }
        eventSink.yield(.detached)
    }

    /// Waits until attached to the sidecar, or throws after `timeout`.
    public func waitUntilAttached(timeout: Duration) async throws {
        if writer != nil { return }
        let deadline = ContinuousClock.now + timeout
        while writer == nil {
            if ContinuousClock.now >= deadline { throw MeshClientError.timedOut(what: "connecting to the sidecar at \(socketPath)", seconds: timeout.inSeconds) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: incoming

    private func handle(line: ByteBuffer) {
        let event: IPCEvent
        do {
            event = try IPCEvent(line: line.readableBytesView)
        } catch {
            logger.warning("dropping an IPC line that is not a valid event", metadata: ["error": "\(error)", "bytes": "\(line.readableBytes)"])
            return
        }
        switch event {
        case .message(let from, let text):
            guard let message = try? JSONDecoder().decode(MeshMessage.self, from: Data(text.utf8)) else {
                logger.warning("dropping a mesh message that is not a valid MeshMessage", metadata: ["from_peer": "\(from)"])
                return
            }
            if message.type.isStreamChunk, let sink = chunkSinks[message.requestId] {
                sink.yield(StreamChunkPayload(message.payload).delta)
            } else if message.type.isReply, !message.requestId.isEmpty, let pending = pendingReplies.removeValue(forKey: message.requestId) {
                pending.timer.cancel()
                pending.continuation.resume(returning: message)
            } else {
                eventSink.yield(.message(fromPeer: from, message))
            }
        case .peerConnected(let peer):
            if peers.insert(peer).inserted { eventSink.yield(.peerConnected(peer)) }
        case .peerDisconnected(let peer):
            if peers.remove(peer) != nil { eventSink.yield(.peerDisconnected(peer)) }
        case .peerList(let list):
            let listed = Set(list)
            for peer in listed.subtracting(peers) { eventSink.yield(.peerConnected(peer)) }
            for peer in peers.subtracting(listed) { eventSink.yield(.peerDisconnected(peer)) }
            peers = listed
        case .ack(let id):
            settleAck(id, with: .success(()))
        case .error(let id?, let reason):
            settleAck(id, with: .failure(MeshClientError.refused(reason)))
        case .error(nil, let reason):
            logger.warning("the sidecar reported an error", metadata: ["error": "\(reason)"])
        case .unknown(let type):
            logger.debug("ignoring an unknown IPC event", metadata: ["type": "\(type)"])
        }
    }

    private func settleAck(_ id: String, with result: Result<Void, any Error>) {
        guard let pending = pendingAcks.removeValue(forKey: id) else { return }
        pending.timer.cancel()
        pending.continuation.resume(with: result)
    }

    private func settleReply(_ id: String, with error: any Error) {
        guard let pending = pendingReplies.removeValue(forKey: id) else { return }
        pending.timer.cancel()
        pending.continuation.resume(throwing: error)
    }

    // MARK: outgoing

    /// Writes a command with an id and waits for the sidecar's `ack` (or its `error`, thrown).
    private func command(_ kind: IPCCommand.Kind, timeout: Duration = .seconds(10)) async throws {
        guard let writer else { throw MeshClientError.notAttached }
        commandCounter += 1
        // A number, so the id's JSON text (what the sidecar echoes) is its plain digits.
        let id = "\(commandCounter)"
        let bytes = ByteBuffer(string: IPCCommand(kind: kind, id: id).line)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.settleAck(id, with: .failure(MeshClientError.timedOut(what: "the sidecar's ack for \(kind.name)", seconds: timeout.inSeconds)))
            }
            pendingAcks[id] = Pending(continuation: continuation, timer: timer)
            Task {
                do {
                    try await writer.write(bytes)
                } catch {
                    self.settleAck(id, with: .failure(error))
                }
            }
        }
    }

    /// Sends a MeshMessage to one peer; throws if the sidecar cannot deliver it (unknown or unconnected peer).
    public func send(_ message: MeshMessage, to peer: String) async throws {
        try await command(.send(targetPeer: peer, message: try Self.json(message)))
    }

    /// Sends a MeshMessage to every connected peer.
    public func broadcast(_ message: MeshMessage) async throws {
        try await command(.broadcast(message: try Self.json(message)))
    }

    /// Sends a request and waits for the reply with the same `request_id` (one is assigned if empty). With
    /// `onChunk`, the pieces of the reply that come before it (stream chunks) go there in order, all of them
    /// before this returns.
    public func request(
        _ message: MeshMessage, to peer: String, timeout: Duration, onChunk: (@Sendable (String) async -> Void)? = nil
    ) async throws -> MeshMessage {
        var message = message
        if message.requestId.isEmpty { message.requestId = MeshMessage.newRequestId() }
        let id = message.requestId
        guard let onChunk else { return try await awaitReply(to: message, from: peer, timeout: timeout) }
        let (chunks, sink) = AsyncStream.makeStream(of: String.self)
        chunkSinks[id] = sink
        let relay = Task { for await chunk in chunks { await onChunk(chunk) } }
        defer { chunkSinks[id] = nil }
        do {
            let reply = try await awaitReply(to: message, from: peer, timeout: timeout)
            sink.finish()
            await relay.value
            return reply
        } catch {
            sink.finish()
            relay.cancel()
            throw error
        }
    }

    private func awaitReply(to message: MeshMessage, from peer: String, timeout: Duration) async throws -> MeshMessage {
        let id = message.requestId
        let outgoing = message
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MeshMessage, any Error>) in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.settleReply(id, with: MeshClientError.timedOut(what: "\(outgoing.type) to \(peer)", seconds: timeout.inSeconds))
                }
                // Registered before sending, so even an instant reply finds its waiter.
                pendingReplies[id] = Pending(continuation: continuation, timer: timer)
                Task {
                    do {
                        try await self.send(outgoing, to: peer)
                    } catch {
                        self.settleReply(id, with: error)
                    }
                }
            }
        } onCancel: {
            Task { await self.settleReply(id, with: CancellationError()) }
        }
    }

    /// Asks the sidecar to open a DataChannel to `peer` now rather than waiting for signaling to bring it.
    public func connect(to peer: String) async throws {
        try await command(.connect(targetPeer: peer))
    }

    /// A MeshMessage as the compact, single-line JSON a command carries.
    static func json(_ message: MeshMessage) throws -> String {
        String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
    }
}
