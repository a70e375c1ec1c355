import Logging
import MeshProtocol
import NIOCore

/// One agent connection to the IPC socket, on the data plane's loop, after the line decoder.
///
/// Commands run in order, as they are read. A `send` goes straight to the peer's DataChannel; one that leaves more
/// than `DataPlane.sendHighWater` bytes waiting for that peer holds the commands after it (and, once a few are
/// queued, the socket is no longer read) until the peer is down to low water: a stalled peer slows the agent
/// instead of growing our memory. `connect`, and why a send cannot go, are the `Mesh` actor's to answer; the
/// commands after them wait meanwhile too.
final class IPCConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dataPlane: DataPlane
    private let mesh: any MeshCommands
    private let token: String?
    private let logger: Logger
    private var context: ChannelHandlerContext?

    private enum Phase {
        /// The first line must be a hello with the token.
        case awaitingHello
        /// Waiting for the agent slot (`IPCServer.claimPatience`).
        case claiming
        case attached
        /// Refused, or the connection ended.
        case over
    }
    private var phase: Phase
    /// What the command that ran last waits for before the next one runs.
    private enum Wait {
        case peerBuffer(remote: String, generation: UInt64, id: String?)
        case mesh
    }
    private var waiting: Wait?
    /// Lines read while a command waits (or the slot is being claimed), run in order once it is done.
    private var queued = CircularBuffer<ByteBuffer>()
    private var queuedBytes = 0
    /// A read the pipeline asked for while `queued` was full, passed on once it has room.
    private var readHeld = false
    private static let maxQueuedLines = 16
    private static let maxQueuedBytes = IPCServer.maxLineLength

    init(dataPlane: DataPlane, mesh: any MeshCommands, token: String?, logger: Logger) {
        self.dataPlane = dataPlane
        self.mesh = mesh
        self.token = token
        self.logger = logger
        phase = token == nil ? .claiming : .awaitingHello
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .claiming = phase { claim(helloID: nil, until: .now() + IPCServer.claimPatience) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        switch phase {
        case .over:
            return
        case .claiming:
            enqueue(line)
        case .awaitingHello, .attached:
            if waiting != nil { enqueue(line) } else { run(line) }
        }
    }

    func read(context: ChannelHandlerContext) {
        if queued.count >= Self.maxQueuedLines || queuedBytes >= Self.maxQueuedBytes {
            readHeld = true
        } else {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tooLong = error as? LineTooLongError {
            if case .attached = phase {
                dataPlane.reply(.error(id: nil, "\(tooLong.description); closing the connection"), to: self)
                dataPlane.flush()
            } else {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: IPCEvent.error(id: nil, tooLong.description).line)), promise: nil)
            }
        } else {
            logger.info("IPC connection ended", metadata: ["error": "\(error)"])
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .attached = phase, !queued.isEmpty {
            logger.warning("the agent disconnected before these commands ran: dropped", metadata: ["commands": "\(queued.count)"])
        }
        queued.removeAll()
        queuedBytes = 0
        waiting = nil
        if case .attached = phase {
            dataPlane.detach(self)
            logger.info("agent disconnected from IPC")
        }
        phase = .over
        context.fireChannelInactive()
    }

    /// Lines for the agent, from the data plane, in one flush; the future completes once the last is on the socket.
    func write(_ lines: [ByteBuffer]) -> EventLoopFuture<Void> {
        guard let context, let last = lines.last else { return dataPlane.loop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        for line in lines.dropLast() { context.write(wrapOutboundOut(line), promise: nil) }
        return context.writeAndFlush(wrapOutboundOut(last))
    }

    // MARK: Running commands

    private func enqueue(_ line: ByteBuffer) {
        queued.append(line)
        queuedBytes += line.readableBytes
    }

    private func run(_ line: ByteBuffer) {
        let view = line.readableBytesView
        guard !view.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else { return }
        let parsed: Result<IPCCommand, IPCCommandError>
        do throws(IPCCommandError) { parsed = .success(try IPCCommand(line: view)) } catch { parsed = .failure(error) }
        if case .awaitingHello = phase {
            guard case .success(let hello) = parsed, case .hello(let offered) = hello.kind, let token, IPCServer.constantTimeEqual(offered, token)
            else { return refuse("the first line must be a hello with the right token") }
            phase = .claiming
            claim(helloID: hello.id, until: .now() + IPCServer.claimPatience)
            return
        }
        let command: IPCCommand
        switch parsed {
        case .success(let value): command = value
        case .failure(let error): return reply(.error(id: IPCCommand.id(inMalformed: view), error.description))
        }
        switch command.kind {
        case .hello:
            acknowledge(command.id)
        case .send(let target, let message):
            switch dataPlane.send(message, to: target) {
            case .sent: acknowledge(command.id)
            case .sentAboveHighWater(let generation): waiting = .peerBuffer(remote: target, generation: generation, id: command.id)
            case .notOpen: ask(command.id) { mesh in await mesh.refusal(sendingTo: target) }
            }
        case .broadcast(let message):
            if let (remote, generation) = dataPlane.broadcast(message) {
                waiting = .peerBuffer(remote: remote, generation: generation, id: command.id)
            } else {
                acknowledge(command.id)
            }
        case .listPeers:
            reply(.peerList(dataPlane.openPeers))
            acknowledge(command.id)
        case .connect(let target):
            ask(command.id) { mesh in await mesh.connect(to: target) }
        }
    }

    private func reply(_ event: IPCEvent) {
        dataPlane.reply(event, to: self)
    }

    private func acknowledge(_ id: String?) {
        if let id { reply(.ack(id: id)) }
    }

    /// Runs `question` on the mesh; the next command runs once it has answered (an error, or nil for done).
    private func ask(_ id: String?, _ question: @escaping @Sendable (any MeshCommands) async -> MeshCommandError?) {
        waiting = .mesh
        let handler = NIOLoopBound(self, eventLoop: dataPlane.loop)
        let mesh = self.mesh, loop = dataPlane.loop
        Task {
            let error = await question(mesh)
            loop.execute { handler.value.answered(error, id: id) }
        }
    }

    private func answered(_ error: MeshCommandError?, id: String?) {
        guard case .mesh = waiting else { return }  // the connection ended meanwhile
        if let error { reply(.error(id: id, error.description)) } else { acknowledge(id) }
        resume()
    }

    /// The peer a send waits for is down to low water (or its link is gone, `closed`): the send is done.
    func peerDrained(_ remote: String, generation: UInt64, closed: Bool) {
        guard case .peerBuffer(remote, generation, let id) = waiting else { return }
        if closed {
            reply(.error(id: id, MeshCommandError.sendFailed(remote, "the connection closed").description))
        } else {
            acknowledge(id)
        }
        resume()
    }

    /// Runs the queued commands until one waits again, then reads on if a read was held.
    private func resume() {
        waiting = nil
        while waiting == nil, case .attached = phase, let line = queued.popFirst() {
            queuedBytes -= line.readableBytes
            run(line)
        }
        if readHeld, queued.count < Self.maxQueuedLines, queuedBytes < Self.maxQueuedBytes, let context {
            readHeld = false
            context.read()
        }
    }

    // MARK: The agent slot

    /// Takes the one agent slot, waiting until `deadline` for it: a restarted agent may connect before the loop has
    /// seen its predecessor's socket close.
    private func claim(helloID: String?, until deadline: NIODeadline) {
        guard case .claiming = phase, let context else { return }
        if dataPlane.attach(self, helloID: helloID) {
            phase = .attached
            logger.info("agent connected over IPC")
            resume()
        } else if NIODeadline.now() < deadline {
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { self.claim(helloID: helloID, until: deadline) }
        } else {
            refuse("another agent is already connected to this sidecar")
        }
    }

    private func refuse(_ why: String) {
        phase = .over
        logger.warning("IPC client refused", metadata: ["reason": "\(why)"])
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: IPCEvent.error(id: nil, why).line)), promise: nil)
        context.close(promise: nil)
    }
}
