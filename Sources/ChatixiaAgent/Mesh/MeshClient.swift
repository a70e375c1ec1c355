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
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NewlineFrameDecoder(maxLength: MeshClient.maxLineBytes)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await channel.executeThenClose { inbound, outbound in
            if let ipcToken {
                try await outbound.write(Self.line(IPCLine(type: "hello", payload: ["token": ipcToken])))
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

    private struct IncomingLine: Decodable {
        struct Payload: Decodable {
            var fromPeer: String?
            var message: MeshMessage?
            var peerId: String?
            var peers: [String]?
            var id: JSONValue?
            var error: String?

            enum CodingKeys: String, CodingKey { case fromPeer = "from_peer", message, peerId = "peer_id", peers, id, error }
        }

        var type: String
        var payload: Payload?
    }

    private func handle(line: ByteBuffer) {
        let incoming: IncomingLine
        do {
            incoming = try JSONDecoder().decode(IncomingLine.self, from: Data(buffer: line))
        } catch {
            logger.warning("dropping an IPC line that is not a valid event", metadata: ["error": "\(error)", "bytes": "\(line.readableBytes)"])
            return
        }
        let payload = incoming.payload
        switch incoming.type {
        case "message":
            guard let from = payload?.fromPeer, let message = payload?.message else {
                logger.warning("dropping a mesh message without from_peer or a valid MeshMessage")
                return
            }
            if MeshMessageType.replies.contains(message.type), !message.requestId.isEmpty, let pending = pendingReplies.removeValue(forKey: message.requestId) {
                pending.timer.cancel()
                pending.continuation.resume(returning: message)
            } else {
                eventSink.yield(.message(fromPeer: from, message))
            }
        case "peer_connected":
            if let peer = payload?.peerId, peers.insert(peer).inserted { eventSink.yield(.peerConnected(peer)) }
        case "peer_disconnected":
            if let peer = payload?.peerId, peers.remove(peer) != nil { eventSink.yield(.peerDisconnected(peer)) }
        case "peer_list":
            let listed = Set(payload?.peers ?? [])
            for peer in listed.subtracting(peers) { eventSink.yield(.peerConnected(peer)) }
            for peer in peers.subtracting(listed) { eventSink.yield(.peerDisconnected(peer)) }
            peers = listed
        case "ack":
            if case .string(let id)? = payload?.id { settleAck(id, with: .success(())) }
        case "error":
            let reason = payload?.error ?? "unknown error"
            if case .string(let id)? = payload?.id {
                settleAck(id, with: .failure(MeshClientError.refused(reason)))
            } else {
                logger.warning("the sidecar reported an error", metadata: ["error": "\(reason)"])
            }
        default:
            logger.debug("ignoring an unknown IPC event", metadata: ["type": "\(incoming.type)"])
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

    struct IPCLine<Payload: Encodable>: Encodable {
        var type: String
        var id: String?
        var payload: Payload
    }

    struct SendPayload: Encodable {
        var targetPeer: String
        var message: MeshMessage
        enum CodingKeys: String, CodingKey { case targetPeer = "target_peer", message }
    }

    struct BroadcastPayload: Encodable { var message: MeshMessage }

    static func line(_ value: some Encodable) throws -> ByteBuffer {
        var data = try JSONEncoder().encode(value)
        data.append(UInt8(ascii: "\n"))
        return ByteBuffer(data: data)
    }

    /// Writes a command with an id and waits for the sidecar's `ack` (or its `error`, thrown).
    private func command(_ type: String, payload: some Encodable, timeout: Duration = .seconds(10)) async throws {
        guard let writer else { throw MeshClientError.notAttached }
        commandCounter += 1
        let id = "c\(commandCounter)"
        let bytes = try Self.line(IPCLine(type: type, id: id, payload: payload))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.settleAck(id, with: .failure(MeshClientError.timedOut(what: "the sidecar's ack for \(type)", seconds: timeout.inSeconds)))
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
        try await command("send", payload: SendPayload(targetPeer: peer, message: message))
    }

    /// Sends a MeshMessage to every connected peer.
    public func broadcast(_ message: MeshMessage) async throws {
        try await command("broadcast", payload: BroadcastPayload(message: message))
    }

    /// Sends a request and waits for the reply with the same `request_id` (one is assigned if empty).
    public func request(_ message: MeshMessage, to peer: String, timeout: Duration) async throws -> MeshMessage {
        var message = message
        if message.requestId.isEmpty { message.requestId = MeshMessage.newRequestId() }
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
        struct ConnectPayload: Encodable {
            var targetPeerId: String
            enum CodingKeys: String, CodingKey { case targetPeerId = "target_peer_id" }
        }
        try await command("connect", payload: ConnectPayload(targetPeerId: peer))
    }
}
