import DataChannel
import NIOCore
import NIOPosix
import NIOSSL
import PeerConnection
import SDP
import SansIO
import STUN
import TURN
import Synchronization

/// Runs one `PeerConnection` on a SwiftNIO event loop with its own UDP sockets (one per local address),
/// plus a TCP or TLS connection per TURN server that is reached that way.
///
/// Sockets per connection keep demultiplexing trivial (every datagram on them belongs to this
/// connection) at the cost of a port per peer, which a full mesh of ~50 peers affords easily, and a
/// dead or misbehaving peer can never disturb another peer's traffic.
///
/// Datagrams are read in batches and whatever a batch causes is sent with one flush (sendmmsg);
/// `enqueue` lets any thread send without waiting for the loop, coalescing bursts.
///
/// `@unchecked Sendable`: every mutable field (the connection, the channels, the timer deadline) is touched only
/// on `loop`; public methods hop there first. That loop is the single owner the sans-IO core expects.
/// The outbox and the two counters are the exceptions, and they are a `Mutex` and atomics.
public final class PeerConnectionDriver: @unchecked Sendable {
    public let loop: any EventLoop
    private let connection: PeerConnection
    /// Bound sockets; a socket's index is the `socket` number the connection knows it by.
    private var channels: [any Channel] = []
    /// Which of `channels` are streams to TURN servers (written as bytes, not datagrams), by channel.
    private var streamSockets: [ObjectIdentifier: Int] = [:]
    /// The UDP sockets in use, by socket number, with the address each is bound to. (A socket closed by `rebind`
    /// keeps its place in `channels`, so the numbers the connection knows stay valid.)
    private var datagramSockets: [Int: TransportAddress] = [:]
    /// Verifies `turns:` servers.
    private let turnTrust: TURNTrust
    /// The loop's one timer, shared with the other connections on it.
    private let timers: LoopTimers
    /// After a message goes or comes, the loop polls instead of sleeping for a while, at most `busyPollLimit`.
    private let busyPoll: BusyPoll
    private let busyPollLimit: TimeAmount
    /// A message was sent since the last flush.
    private var sentMessage = false
    /// Runs of datagrams go to the kernel as one write (UDP GSO) until one such write fails.
    var segmentationOffload = System.supportsUDPSegmentationOffload
    /// Sockets being reopened after a failed segmented write (`segmentedWriteFailed`).
    private var reopening: Set<Int> = []
    /// The connection deadline filed with `timers` (nil: none, or it fired).
    private var timerDeadline: Duration?
    /// What the connection reports, in order, batched per loop turn: one wake-up of the consumer per
    /// batch of received datagrams instead of one per message. Empty when events go to a handler.
    public let events: AsyncStream<[PeerConnectionEvent]>
    private let eventSink: AsyncStream<[PeerConnectionEvent]>.Continuation

    /// Where the connection's events go.
    public enum EventDelivery: Sendable {
        /// To `events`, for a consumer on another task.
        case stream
        /// To a handler called on the loop, in order, as they happen: no task switch, and what it sends with
        /// `enqueue` goes out in the same loop turn. It must not block.
        case onLoop(@Sendable ([PeerConnectionEvent]) -> Void)
    }
    private let delivery: EventDelivery
    /// `flush` is running; a flush asked for meanwhile (by an event handler's send) runs once it ends.
    private var isFlushing = false
    private var flushAgain = false

    private struct Outbox {
        var messages: [(message: DataChannelMessage, stream: UInt16)] = []
        var drainScheduled = false
    }
    /// Messages from `enqueue` waiting for the loop; one loop task drains however many piled up.
    private let outbox = Mutex(Outbox())
    /// The outbox's bytes and the connection's, and when low water is due.
    private let buffered: BufferedAmount

    /// `.bufferedAmountLow` is reported when `bufferedAmount` falls to this from above (as in WebRTC).
    public var bufferedAmountLowThreshold: Int { buffered.lowThreshold }

    /// Datagrams read per readable event before what they caused is flushed. (Vector reads, recvmmsg,
    /// lost datagrams' source addresses in testing, so reads stay one syscall each.)
    private static let readBatch: UInt = 16

    /// What the UDP socket may hold until the loop reads it: a congestion window's burst of datagrams arrives faster
    /// than one loop turn takes them, and the default (~200 KB, ~90 datagrams as the kernel counts them) drops some,
    /// which SCTP then takes for congestion. The kernel caps it at `net.core.rmem_max`.
    private static let socketBufferBytes: SocketOptionValue = 4 << 20

    /// Segmentation offload (UDP GSO, Linux): a run of equal-sized datagrams to one address goes to the kernel as
    /// one buffer, which it splits (or, to a socket with GRO on, hands over whole): one trip down the stack instead
    /// of one per datagram. Bounded by the kernel's 64 segments and a UDP datagram's 64 KiB.
    private static let maxDatagramBatchSegments = 32
    static let maxDatagramBatchBytes = 60_000

    /// Datagrams to one address on one socket, all of `segmentSize` bytes but perhaps the last, written as one.
    private struct DatagramRun {
        let socket: Int
        let destination: TransportAddress
        let segmentSize: Int
        var buffer: ByteBuffer
        var count = 1
        /// The last datagram was shorter than `segmentSize`: nothing more can follow it in this run.
        var closed: Bool { buffer.readableBytes < count * segmentSize }

        init(socket: Int, destination: TransportAddress, payload: [UInt8]) {
            self.socket = socket
            self.destination = destination
            segmentSize = payload.count
            buffer = ByteBuffer(bytes: payload)
        }

        /// Adds `payload` if it may follow in this run.
        mutating func append(_ payload: [UInt8], socket: Int, destination: TransportAddress) -> Bool {
            guard !closed, socket == self.socket, destination == self.destination,
                payload.count <= segmentSize, count < PeerConnectionDriver.maxDatagramBatchSegments,
                buffer.readableBytes + payload.count <= PeerConnectionDriver.maxDatagramBatchBytes
            else { return false }
            buffer.writeBytes(payload)
            count += 1
            return true
        }

        var envelope: AddressedEnvelope<ByteBuffer> {
            let metadata = count > 1 ? AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: segmentSize) : nil
            return AddressedEnvelope(remoteAddress: destination.socketAddress, data: buffer, metadata: metadata)
        }
    }

    /// The longest a loop stays awake after a message waiting for the next (`BusyPoll`): long enough for a reply
    /// through two sidecars and their agents on one machine.
    public static let defaultBusyPollLimit: TimeAmount = .microseconds(300)

    /// `turnTrust` checks the certificates of `turns:` servers (default: the system's trust store).
    /// `busyPollLimit` zero never keeps the loop awake (`BusyPoll`).
    public init(
        configuration: PeerConnection.Configuration, bufferedAmountLowThreshold: Int = 256 << 10, turnTrust: TURNTrust = .system,
        events delivery: EventDelivery = .stream, loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        busyPollLimit: TimeAmount = PeerConnectionDriver.defaultBusyPollLimit
    ) {
        self.loop = loop
        timers = LoopTimers.on(loop)
        busyPoll = BusyPoll.on(loop)
        self.busyPollLimit = busyPollLimit
        self.turnTrust = turnTrust
        self.delivery = delivery
        buffered = BufferedAmount(lowThreshold: bufferedAmountLowThreshold)
        connection = PeerConnection(configuration: configuration)
        (events, eventSink) = AsyncStream.makeStream()
        if case .onLoop = delivery { eventSink.finish() }
    }

    /// The machine's monotonic clock: the `now` every core of this connection runs on.
    private var now: Duration { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds)) }

    /// Binds a UDP socket on `host` (an ephemeral port) and registers it as a host candidate.
    public func bind(host: String) async throws -> TransportAddress {
        let socket = try await loop.submit { self.channels.count }.get()
        let channel = try await datagramBootstrap(socket: socket).bind(host: host, port: 0).get()
        guard let address = channel.localAddress, let local = TransportAddress(address) else {
            try? await channel.close()
            throw PeerConnectionError.wrongState("cannot read the bound address")
        }
        let registered = try await loop.submit {
            guard self.channels.count == socket else { return false }  // another bind overlapped this one
            self.channels.append(channel)
            self.datagramSockets[socket] = local
            self.connection.addLocalSocket(socket, address: local, now: self.now)
            self.flush()
            return true
        }.get()
        guard registered else {
            try? await channel.close()
            throw PeerConnectionError.wrongState("bind calls must not overlap")
        }
        return local
    }

    /// A UDP socket that is socket number `socket` to the connection.
    private func datagramBootstrap(socket: Int) -> DatagramBootstrap {
        var bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.maxMessagesPerRead, value: Self.readBatch)
            .channelOption(.socketOption(.so_rcvbuf), value: Self.socketBufferBytes)
            .channelInitializer { channel in channel.pipeline.addHandler(InboundDatagrams(driver: self, socket: socket)) }
        if System.supportsUDPReceiveOffload {
            // A burst from one peer comes up as one buffer of equal segments (split in `receive`).
            bootstrap = bootstrap.channelOption(.datagramReceiveOffload, value: true)
                .channelOption(.datagramReceiveSegmentSize, value: true)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.maxDatagramBatchBytes))
        }
        return bootstrap
    }

    /// A segmented write failed: the path cannot segment (IPsec; on some kernels a device without checksum offload),
    /// and NIO closes a datagram channel on such an error. From now on datagrams go one per write, on a socket
    /// reopened at the same address and port once the old one has closed, so ICE's candidates and pairs stay as they
    /// were and SCTP resends what was lost meanwhile. Each failed socket is reopened once, however many of its writes
    /// report the failure.
    private func segmentedWriteFailed(on socket: Int, channel failed: any Channel) {
        segmentationOffload = false
        guard let local = datagramSockets[socket], channels[socket] === failed, reopening.insert(socket).inserted else { return }
        failed.closeFuture.hop(to: loop).whenComplete { _ in
            guard self.datagramSockets[socket] == local, self.connection.state != .closed else {
                self.reopening.remove(socket)
                return
            }
            self.datagramBootstrap(socket: socket).bind(host: local.ip.description, port: Int(local.port)).hop(to: self.loop).whenComplete { result in
                self.reopening.remove(socket)
                guard case .success(let channel) = result, self.datagramSockets[socket] == local, self.connection.state != .closed else {
                    if case .success(let channel) = result { channel.close(promise: nil) }
                    return
                }
                self.channels[socket] = channel
            }
        }
    }

    /// Follows the machine's addresses before an ICE restart: closes the sockets on addresses not in `hosts` any more
    /// and binds one on each address of `hosts` that has none.
    public func rebind(hosts: [String]) async throws {
        let wanted = hosts.compactMap { host in IPAddress(host).map { (host, $0) } }
        let (closed, kept) = try await loop.submit {
            let vanished = self.datagramSockets.filter { socket in !wanted.contains { $0.1 == socket.value.ip } }
            for socket in vanished.keys {
                self.datagramSockets[socket] = nil
                self.connection.removeLocalSocket(socket)
            }
            return (vanished.keys.map { self.channels[$0] }, Set(self.datagramSockets.values.map(\.ip)))
        }.get()
        for channel in closed { try? await channel.close() }
        for (host, ip) in wanted where !kept.contains(ip) { _ = try await bind(host: host) }
    }

    /// Runs `body` against the connection on its loop, then sends and reports whatever it caused.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PeerConnection, Duration) throws -> T) async throws -> T {
        try await loop.submit {
            defer { self.flush() }
            return try body(self.connection, self.now)
        }.get()
    }

    /// Sends `message` on `stream` without waiting for the event loop. Messages keep their order; a
    /// burst costs one loop wake-up and one flush, and a send from the loop itself (an `.onLoop` event
    /// handler) none. A send the connection refuses (it closed meanwhile) is dropped: the connection's
    /// state events say why.
    public func enqueue(_ message: DataChannelMessage, on stream: UInt16) {
        if loop.inEventLoop {
            // What other threads queued goes first, so messages keep their order.
            sendOutbox()
            try? connection.send(message, on: stream, now: now)
            sentMessage = true
            flush()
            return
        }
        buffered.queued(message.byteCount)
        let wake = outbox.withLock { outbox in
            outbox.messages.append((message, stream))
            defer { outbox.drainScheduled = true }
            return !outbox.drainScheduled
        }
        if wake { loop.execute { self.drainOutbox() } }
    }

    /// Bytes sent but not yet taken by SCTP's send buffer: queued here and in the connection.
    /// Wait for `.bufferedAmountLow` when it is high.
    public var bufferedAmount: Int { buffered.total }

    private func drainOutbox() {
        sendOutbox()
        flush()
    }

    /// Hands what `enqueue` queued from other threads to the connection.
    private func sendOutbox() {
        let batch = outbox.withLock { outbox in
            var batch: [(message: DataChannelMessage, stream: UInt16)] = []
            swap(&batch, &outbox.messages)
            outbox.drainScheduled = false
            return batch
        }
        for (message, stream) in batch {
            try? connection.send(message, on: stream, now: now)
            sentMessage = true
            buffered.taken(message.byteCount)
        }
    }

    /// Stops or resumes reading from the peer (`PeerConnection.setReceivePaused`), in call order.
    public func setReceivePaused(_ paused: Bool) {
        loop.execute {
            self.connection.setReceivePaused(paused)
            self.flush()
        }
    }

    public func close() async {
        try? await loop.submit {
            self.connection.close()
            self.flush()
            self.timers.cancel(ObjectIdentifier(self))
            self.eventSink.finish()
        }.get()
        let channels = try? await loop.submit { self.channels }.get()
        for channel in channels ?? [] { try? await channel.close() }
    }

    /// One datagram of a read batch; `readComplete` sends what the batch caused.
    fileprivate func receive(_ envelope: AddressedEnvelope<ByteBuffer>, socket: Int) {
        guard let source = TransportAddress(envelope.remoteAddress) else { return }
        var data = envelope.data
        let now = now
        // Coalesced by the kernel (GRO): equal segments, the last perhaps shorter.
        let segment = envelope.metadata?.segmentSize ?? 0
        while data.readableBytes > 0 {
            let length = segment > 0 ? min(segment, data.readableBytes) : data.readableBytes
            guard let datagram = data.readBytes(length: length) else { return }
            connection.receive(datagram, from: source, socket: socket, now: now)
        }
    }

    fileprivate func readComplete() {
        flush()
    }

    /// Opens the connections the connection asks for, sends queued datagrams, reports events and re-arms the
    /// timer; again if an event handler sent something meanwhile.
    private func flush() {
        guard !isFlushing else {
            flushAgain = true
            return
        }
        isFlushing = true
        repeat {
            flushAgain = false
            flushOnce()
        } while flushAgain
        isFlushing = false
    }

    private func flushOnce() {
        while let request = connection.pollConnectionRequest() { open(request) }
        // The sockets written to, to flush each once: almost always one, so a list beats a set.
        var written: [Int] = []
        var run: DatagramRun?
        func writeRun() {
            guard let run else { return }
            guard run.count > 1 else {
                channels[run.socket].write(run.envelope, promise: nil)
                return
            }
            // A path the kernel cannot segment for fails the write (and NIO closes the socket): `segmentedWriteFailed`.
            let sent = loop.makePromise(of: Void.self), channel = channels[run.socket]
            sent.futureResult.whenFailure { error in
                // The kernel refused it (a channel closed meanwhile, as `rebind` closes one, fails writes too).
                if error is IOError { self.segmentedWriteFailed(on: run.socket, channel: channel) }
            }
            channel.write(run.envelope, promise: sent)
        }
        while let transmit = connection.pollTransmit() {
            guard channels.indices.contains(transmit.socket) else { continue }
            let channel = channels[transmit.socket]
            if streamSockets[ObjectIdentifier(channel)] != nil {
                channel.write(ByteBuffer(bytes: transmit.payload), promise: nil)
            } else if !segmentationOffload || run?.append(transmit.payload, socket: transmit.socket, destination: transmit.destination) != true {
                writeRun()
                run = DatagramRun(socket: transmit.socket, destination: transmit.destination, payload: transmit.payload)
            }
            if !written.contains(transmit.socket) { written.append(transmit.socket) }
        }
        writeRun()
        for socket in written { channels[socket].flush() }
        // After their last writes (an old ICE agent's deallocations) have gone out.
        while let socket = connection.pollUnusedConnection() {
            if channels.indices.contains(socket) { channels[socket].close(promise: nil) }
        }
        var batch: [PeerConnectionEvent] = []
        var traffic = sentMessage
        sentMessage = false
        while let event = connection.pollEvent() {
            // The driver reports low water itself: its own outbox counts too.
            if event != .bufferedAmountLow { batch.append(event) }
            if case .message = event { traffic = true }
        }
        if buffered.published(connectionBytes: connection.bufferedAmount) { batch.append(.bufferedAmountLow) }
        if !batch.isEmpty {
            switch delivery {
            case .stream: eventSink.yield(batch)
            case .onLoop(let handler): handler(batch)
            }
        }
        // After the handler, so what it queued for this loop turn (a flush to the agent) runs before the first poll.
        if traffic { busyPoll.traffic(limit: busyPollLimit) }
        rearmTimer()
    }

    /// Files the connection's next deadline with the loop's timer, unless it is the one already filed (most flushes
    /// leave it where it was).
    private func rearmTimer() {
        let deadline = connection.deadline
        guard deadline != timerDeadline else { return }
        timerDeadline = deadline
        guard let deadline else {
            timers.cancel(ObjectIdentifier(self))
            return
        }
        // `now` is NIO's uptime clock, so the deadline is a point on it.
        let fireAt = Self.coalesced(.uptimeNanoseconds(UInt64(max(deadline.wholeNanoseconds, 0))))
        timers.arm(ObjectIdentifier(self), at: fireAt) {
            self.timerDeadline = nil
            self.connection.handleTimeout(now: self.now)
            self.flush()
        }
    }

    /// Timers this far off or more fire on a grid: consent checks, idle SCTP ticks and the like.
    static let coalescingThreshold: TimeAmount = .milliseconds(500)
    /// The grid (on the machine's monotonic clock, so the same in every process).
    static let coalescingGrid: TimeAmount = .milliseconds(250)

    /// When to fire a timer due at `deadline`: as is when it is near (retransmissions, busy SCTP ticks), else
    /// at the next grid line, so an idle mesh's many connections wake their loop together, a few times a
    /// second, instead of each on its own (at most `coalescingGrid` late).
    static func coalesced(_ deadline: NIODeadline, now: NIODeadline = .now()) -> NIODeadline {
        guard deadline - now >= coalescingThreshold else { return deadline }
        let grid = UInt64(coalescingGrid.nanoseconds)
        let rounded = (deadline.uptimeNanoseconds + grid - 1) / grid * grid
        return .uptimeNanoseconds(rounded)
    }
}

extension PeerConnectionDriver {
    /// How long connecting to a TURN server over TCP may take before its relay is given up.
    static let turnConnectTimeout: TimeAmount = .seconds(10)

    /// Connects to a TURN server over TCP, or TLS, for `request`; once connected it is a socket like the
    /// UDP ones, and its end (the server's or a TLS failure) ends the allocation made through it.
    fileprivate func open(_ request: TURNConnectionRequest) {
        let tls: NIOSSLContext?
        do {
            tls = request.usesTLS ? try turnTrust.sslContext() : nil
        } catch {
            loop.execute {
                self.connection.connectionFailed(request.id, now: self.now)
                self.flush()
            }
            return
        }
        // A certificate for an IP address is checked against the address; only a name goes in SNI.
        let serverName = IPAddress(request.serverName) == nil ? request.serverName : nil
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(Self.turnConnectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TURNStreamDecoder()))
                    try channel.pipeline.syncOperations.addHandler(InboundStream(driver: self, server: request.server))
                }
            }
        if let local = try? SocketAddress(ipAddress: request.localIP.description, port: 0) { bootstrap = bootstrap.bind(to: local) }
        bootstrap.connect(to: request.server.socketAddress).hop(to: loop).whenComplete { result in
            switch result {
            case .success(let channel):
                let socket = self.channels.count
                self.channels.append(channel)
                self.streamSockets[ObjectIdentifier(channel)] = socket
                channel.closeFuture.hop(to: self.loop).whenComplete { _ in
                    self.connection.connectionClosed(socket: socket, now: self.now)
                    self.flush()
                }
                self.connection.connectionOpened(request.id, socket: socket, now: self.now)
            case .failure:
                self.connection.connectionFailed(request.id, now: self.now)
            }
            self.flush()
        }
    }

    /// One whole message from a TURN server's stream.
    fileprivate func receive(_ message: ByteBuffer, from server: TransportAddress, on channel: any Channel) {
        guard let socket = streamSockets[ObjectIdentifier(channel)] else { return }
        connection.receive(Array(buffer: message), from: server, socket: socket, now: now)
    }
}

/// Splits a TURN server's byte stream into STUN messages and ChannelData.
private struct TURNStreamDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct Unframed: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let header = buffer.getBytes(at: buffer.readerIndex, length: TURNStreamFraming.headerLength) else { return .needMoreData }
        guard let length = TURNStreamFraming.messageLength(startingWith: header) else { throw Unframed() }
        guard let message = buffer.readSlice(length: length) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }
}

private final class InboundStream: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let driver: PeerConnectionDriver
    let server: TransportAddress

    init(driver: PeerConnectionDriver, server: TransportAddress) {
        self.driver = driver
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.receive(unwrapInboundIn(data), from: server, on: context.channel)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver.readComplete()
    }

    /// Bytes that frame as neither STUN nor ChannelData, or a TLS failure: the stream is useless.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

private final class InboundDatagrams: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let driver: PeerConnectionDriver
    let socket: Int

    init(driver: PeerConnectionDriver, socket: Int) {
        self.driver = driver
        self.socket = socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.receive(unwrapInboundIn(data), socket: socket)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver.readComplete()
    }
}
