#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import MeshProtocol
import NIOCore
import NIOPosix
import Synchronization

/// What the IPC server needs from the mesh.
protocol IPCCommandHandler: Sendable {
    /// A new agent connection; it should hear about every DataChannel already open.
    func attach(_ session: IPCSession) async
    /// The session's agent is gone: nothing more is delivered to it, and its commands waiting for a peer's
    /// buffer to drain give up waiting.
    func detach(_ session: IPCSession) async
    /// Runs a command of `session`'s agent; returns the reply line if the command has one (`list_peers`).
    func handle(_ command: IPCCommand.Kind, from session: IPCSession) async throws(MeshCommandError) -> IPCEvent?
}

/// The agent-facing Unix socket: newline-delimited JSON, one active client at a time, optional hello
/// token, 2 MiB line limit (a 1 MiB MeshMessage plus its envelope fits with room to spare).
final class IPCServer: Sendable {
    static let maxLineLength = 2 << 20

    let path: String
    private let token: String?
    private let handler: any IPCCommandHandler
    private let logger: Logger
    private let activeSession = Mutex<ObjectIdentifier?>(nil)

    init(path: String, token: String?, handler: any IPCCommandHandler, logger: Logger) {
        self.path = path
        self.token = token
        self.handler = handler
        self.logger = logger
    }

    /// Binds the socket and serves clients until cancelled.
    func run(privateDirectory: Bool) async throws {
        try prepareSocketPath(privateDirectory: privateDirectory)
        // Created 0600 from the start: no window in which another user could connect.
        let previousMask = umask(0o177)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: Self.maxLineLength)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            umask(previousMask)
        } catch {
            umask(previousMask)
            throw error
        }
        logger.info("IPC socket ready", metadata: ["path": "\(path)"])
        defer { unlink(path) }
        try await server.executeThenClose { clients in
            try await withThrowingDiscardingTaskGroup { group in
                for try await client in clients {
                    group.addTask { await self.serve(client) }
                }
            }
        }
    }

    /// The default socket's directory is ours alone (0700); a chosen path must be in a directory nobody else
    /// controls. A stale socket file is replaced, but anything else at the path is left alone and reported.
    private func prepareSocketPath(privateDirectory: Bool) throws {
        do throws(IPCSocketPath.Unsafe) {
            if privateDirectory {
                try IPCSocketPath.preparePrivate(path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
            } else {
                try IPCSocketPath.checkChosen(path)
            }
        } catch {
            throw IPCServerError(error.description)
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw IPCServerError("\(path) exists and is not a socket; refusing to replace it")
            }
            unlink(path)
        }
    }

    private func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let session = IPCSession(logger: logger)
        do {
            try await client.executeThenClose { inbound, outbound in
                var lines = inbound.makeAsyncIterator()
                func refuse(_ why: String) async throws {
                    try await outbound.write(ByteBuffer(string: IPCEvent.error(id: nil, why).line))
                    logger.warning("IPC client refused", metadata: ["reason": "\(why)"])
                }
                var helloID: String?
                if let token {
                    guard let first = try await lines.next(), let hello = try? IPCCommand(line: first.readableBytesView),
                          case .hello(let offered) = hello.kind, Self.constantTimeEqual(offered, token)
                    else { return try await refuse("the first line must be a hello with the right token") }
                    helloID = hello.id
                }
                let id = ObjectIdentifier(session)
                guard try await claim(id) else { return try await refuse("another agent is already connected to this sidecar") }
                // An agent that dies while a command waits (a send to a stalled peer) frees the sidecar at once
                // for its successor; the commands it left unread are dropped, not run on its behalf.
                client.channel.closeFuture.whenComplete { _ in
                    guard session.markDisconnected() else { return }
                    Task {
                        await self.handler.detach(session)
                        self.release(id)
                    }
                }
                defer { release(id) }

                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await line in session.lines {
                            try await outbound.write(ByteBuffer(string: line))
                            session.written(line)
                        }
                    }
                    if let helloID { session.deliver(.ack(id: helloID)) }
                    await handler.attach(session)
                    logger.info("agent connected over IPC")
                    var dropped = 0
                    do {
                        while let line = try await lines.next() {
                            guard session.isConnected else {
                                dropped += 1
                                continue
                            }
                            await self.handle(line.readableBytesView, from: session)
                        }
                    } catch let error as LineTooLongError {
                        session.deliver(.error(id: nil, "\(error.description); closing the connection"))
                    }
                    if dropped > 0 {
                        logger.warning("the agent disconnected before these commands ran: dropped", metadata: ["commands": "\(dropped)"])
                    }
                    await handler.detach(session)
                    session.finish()
                    try await group.next()
                }
            }
        } catch {
            logger.info("IPC connection ended", metadata: ["error": "\(error)"])
            await handler.detach(session)
        }
        logger.info("agent disconnected from IPC")
    }

    private func handle(_ line: ByteBufferView, from session: IPCSession) async {
        guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else { return }
        let command: IPCCommand
        do {
            command = try IPCCommand(line: line)
        } catch {
            session.deliver(.error(id: IPCCommand.id(inMalformed: line), error.description))
            return
        }
        if case .hello = command.kind {
            if let id = command.id { session.deliver(.ack(id: id)) }
            return
        }
        do {
            if let reply = try await handler.handle(command.kind, from: session) { session.deliver(reply) }
            if let id = command.id { session.deliver(.ack(id: id)) }
        } catch {
            session.deliver(.error(id: command.id, error.description))
        }
    }

    /// How long a new agent waits for the slot: a restarted agent may connect before the sidecar has seen
    /// its predecessor's socket close.
    static let claimPatience: Duration = .milliseconds(500)

    /// Takes the one client slot for `session`, waiting up to `claimPatience` for it to come free.
    private func claim(_ session: ObjectIdentifier) async throws -> Bool {
        let deadline = ContinuousClock.now + Self.claimPatience
        while true {
            let claimed = activeSession.withLock { active in
                guard active == nil else { return false }
                active = session
                return true
            }
            if claimed { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Frees the client slot if `session` still holds it (a successor may have taken it already).
    private func release(_ session: ObjectIdentifier) {
        activeSession.withLock { active in
            if active == session { active = nil }
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

struct IPCServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
