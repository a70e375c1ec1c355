import DataChannel
import NIOCore
import NIOPosix
import PeerConnection
import SDP
import STUN

/// Runs one `PeerConnection` on a SwiftNIO event loop with its own UDP sockets (one per local address).
///
/// Sockets per connection keep demultiplexing trivial (every datagram on them belongs to this
/// connection) at the cost of a port per peer, which a full mesh of ~50 peers affords easily, and a
/// dead or misbehaving peer can never disturb another peer's traffic.
///
/// `@unchecked Sendable`: every mutable field (the connection, the channels, the timer) is touched only
/// on `loop`; public methods hop there first. That loop is the single owner the sans-IO core expects.
public final class PeerConnectionDriver: @unchecked Sendable {
    public let loop: any EventLoop
    private let connection: PeerConnection
    /// Bound sockets; a socket's index is the `socket` number the connection knows it by.
    private var channels: [any Channel] = []
    private var timer: Scheduled<Void>?
    private let started = NIODeadline.now()
    public let events: AsyncStream<PeerConnectionEvent>
    private let eventSink: AsyncStream<PeerConnectionEvent>.Continuation

    public init(configuration: PeerConnection.Configuration, loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.loop = loop
        connection = PeerConnection(configuration: configuration)
        (events, eventSink) = AsyncStream.makeStream()
    }

    private var now: Duration { .nanoseconds((NIODeadline.now() - started).nanoseconds) }

    /// Binds a UDP socket on `host` (an ephemeral port) and registers it as a host candidate.
    public func bind(host: String) async throws -> TransportAddress {
        let socket = try await loop.submit { self.channels.count }.get()
        let channel = try await DatagramBootstrap(group: loop)
            .channelInitializer { channel in channel.pipeline.addHandler(InboundDatagrams(driver: self, socket: socket)) }
            .bind(host: host, port: 0).get()
        guard let address = channel.localAddress, let ip = address.ipAddress.flatMap(IPAddress.init), let port = address.port else {
            try? await channel.close()
            throw PeerConnectionError.wrongState("cannot read the bound address")
        }
        let local = TransportAddress(ip: ip, port: UInt16(port))
        let registered = try await loop.submit {
            guard self.channels.count == socket else { return false }  // another bind overlapped this one
            self.channels.append(channel)
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

    /// Runs `body` against the connection on its loop, then sends and reports whatever it caused.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PeerConnection, Duration) throws -> T) async throws -> T {
        try await loop.submit {
            defer { self.flush() }
            return try body(self.connection, self.now)
        }.get()
    }

    public func close() async {
        try? await loop.submit {
            self.connection.close()
            self.flush()
            self.timer?.cancel()
            self.eventSink.finish()
        }.get()
        let channels = try? await loop.submit { self.channels }.get()
        for channel in channels ?? [] { try? await channel.close() }
    }

    fileprivate func receive(_ envelope: AddressedEnvelope<ByteBuffer>, socket: Int) {
        guard let ip = envelope.remoteAddress.ipAddress.flatMap(IPAddress.init), let port = envelope.remoteAddress.port else { return }
        connection.receive(Array(buffer: envelope.data), from: TransportAddress(ip: ip, port: UInt16(port)), socket: socket, now: now)
        flush()
    }

    /// Sends queued datagrams, reports events and re-arms the timer.
    private func flush() {
        var written = Set<Int>()
        while let transmit = connection.pollTransmit() {
            guard channels.indices.contains(transmit.socket),
                  let address = try? SocketAddress(ipAddress: transmit.destination.ip.description, port: Int(transmit.destination.port))
            else { continue }
            channels[transmit.socket].write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: transmit.payload)), promise: nil)
            written.insert(transmit.socket)
        }
        for socket in written { channels[socket].flush() }
        while let event = connection.pollEvent() { eventSink.yield(event) }
        timer?.cancel()
        if let deadline = connection.deadline {
            let delay = max(deadline - now, .zero)
            timer = loop.scheduleTask(in: .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)) {
                self.connection.handleTimeout(now: self.now)
                self.flush()
            }
        }
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
}
