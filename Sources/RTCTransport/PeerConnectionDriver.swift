import DataChannel
import NIOCore
import NIOPosix
import PeerConnection
import SDP
import STUN

/// Runs one `PeerConnection` on a SwiftNIO event loop with its own UDP socket.
///
/// One socket per connection keeps demultiplexing trivial (every datagram on it belongs to this
/// connection) at the cost of a port per peer, which a full mesh of ~50 peers affords easily.
///
/// `@unchecked Sendable`: every mutable field (the connection, the channel, the timer) is touched only
/// on `loop`; public methods hop there first. That loop is the single owner the sans-IO core expects.
public final class PeerConnectionDriver: @unchecked Sendable {
    public let loop: any EventLoop
    private let connection: PeerConnection
    private var channel: (any Channel)?
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

    /// Binds a UDP socket on `host` and registers it as a host candidate.
    public func bind(host: String) async throws -> TransportAddress {
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in channel.pipeline.addHandler(InboundDatagrams(driver: self)) }
            .bind(host: host, port: 0).get()
        guard let address = channel.localAddress, let ip = address.ipAddress.flatMap(IPAddress.init), let port = address.port else {
            throw PeerConnectionError.wrongState("cannot read the bound address")
        }
        let local = TransportAddress(ip: ip, port: UInt16(port))
        try await loop.submit {
            self.channel = channel
            self.connection.addLocalSocket(0, address: local, now: self.now)
            self.flush()
        }.get()
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
        try? await channel?.close()
    }

    fileprivate func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let ip = envelope.remoteAddress.ipAddress.flatMap(IPAddress.init), let port = envelope.remoteAddress.port else { return }
        connection.receive(Array(buffer: envelope.data), from: TransportAddress(ip: ip, port: UInt16(port)), socket: 0, now: now)
        flush()
    }

    /// Sends queued datagrams, reports events and re-arms the timer.
    private func flush() {
        if let channel {
            var wrote = false
            while let transmit = connection.pollTransmit() {
                guard let address = try? SocketAddress(ipAddress: transmit.destination.ip.description, port: Int(transmit.destination.port)) else { continue }
                channel.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: transmit.payload)), promise: nil)
                wrote = true
            }
            if wrote { channel.flush() }
        }
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

    init(driver: PeerConnectionDriver) { self.driver = driver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.receive(unwrapInboundIn(data))
    }
}
