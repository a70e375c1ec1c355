#if canImport(Glibc)
import Glibc
#endif
import CSCTP
import SansIO

/// What an association reports.
public enum SCTPEvent: Sendable, Equatable {
    case connected
    /// A whole message, reassembled from however many pieces usrsctp delivered it in.
    case message(stream: UInt16, ppid: UInt32, data: [UInt8])
    /// The peer reset these incoming streams (its data channels on them closed).
    case streamsReset([UInt16])
    /// Everything queued by `send` has been handed to SCTP (buffered amount reached zero).
    case bufferedAmountLow
    case closed
}

public enum SCTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotCreate
    case messageTooLarge(size: Int, limit: Int)
    case closed
    case sendFailed(errno: Int32)

    public var description: String {
        switch self {
        case .cannotCreate: "SCTP: cannot create the association"
        case .messageTooLarge(let size, let limit): "SCTP: message of \(size) bytes exceeds the peer's limit of \(limit)"
        case .closed: "SCTP: association closed"
        case .sendFailed(let code): "SCTP: send failed (errno \(code))"
        }
    }
}

/// One SCTP association (RFC 8261, over DTLS) backed by usrsctp in no-threads mode.
///
/// Sans-IO in shape: `receive` takes packets from DTLS, `pollTransmit` yields packets for DTLS,
/// `pollEvent` yields events, and `tick(now:)` (every ~10 ms while data moves) drives retransmission
/// timers on the caller's clock. Messages that SCTP's send buffer cannot take yet wait in an outgoing
/// queue; `bufferedAmount` counts them.
///
/// usrsctp keeps one timer wheel for the whole process, so every association in a process must be ticked
/// from one clock: the RTC shell's monotonic one in production, one virtual clock at a time in tests. A
/// clock that goes back (a new virtual clock) restarts the count without firing anything.
public final class SCTPAssociation {
    private let handle: OpaquePointer
    /// What we accept from the peer (our `a=max-message-size`).
    public let maxReceiveMessageSize: Int
    /// What the peer accepts (its `a=max-message-size`; 65536 when it does not say).
    public var maxSendMessageSize: Int
    private var events = DrainQueue<SCTPEvent>()
    private var partial: [UInt16: [UInt8]] = [:]
    private var pending: [(stream: UInt16, ppid: UInt32, unordered: Bool, data: [UInt8])] = []
    private var pendingIndex = 0
    public private(set) var bufferedAmount = 0
    /// Set when SCTP's send buffer refused a message; the low-water event fires once the queue drains.
    private var sendBlocked = false
    private var isClosed = false
    /// One read's worth; larger messages arrive in pieces (the partial delivery point is 64 KiB).
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// While paused nothing is read from SCTP's receive buffer: it fills, the window we advertise closes
    /// and the peer stops sending. This is how a slow consumer slows the remote sender instead of
    /// making us buffer without limit. Resuming reads what waited (and lets SCTP reopen the window).
    public var isReceivePaused = false {
        didSet { if oldValue && !isReceivePaused { drain() } }
    }

    public init(port: UInt16 = 5000, remotePort: UInt16 = 5000, maxReceiveMessageSize: Int = 4 << 20, maxSendMessageSize: Int = 65536) throws(SCTPError) {
        guard let handle = csctp_association_new(port, remotePort, Int32(max(maxReceiveMessageSize, 1 << 20) * 2)) else {
            throw SCTPError.cannotCreate
        }
        self.handle = handle
        self.maxReceiveMessageSize = maxReceiveMessageSize
        self.maxSendMessageSize = maxSendMessageSize
    }

    deinit {
        csctp_association_free(handle)
    }

    /// Advances usrsctp's timers (shared by all associations in the process) to `now` and collects what
    /// they caused.
    public func tick(now: Duration) {
        let (seconds, attoseconds) = now.components
        csctp_tick(UInt64(clamping: seconds) &* 1000 &+ UInt64(clamping: attoseconds / 1_000_000_000_000_000))
        drain()
    }

    /// Whether usrsctp may have timers running here: while the association is set up or shut down, and while data we
    /// sent is unsent or unacknowledged. Otherwise (and with nothing received lately, which may owe a delayed SACK) it
    /// has none, and needs no ticks.
    public var needsTimers: Bool {
        !isClosed && (pendingIndex < pending.count || csctp_needs_timers(handle) != 0)
    }

    public func receive(_ packet: [UInt8]) {
        guard !isClosed else { return }
        packet.withUnsafeBufferPointer { csctp_input(handle, $0.baseAddress, $0.count) }
        drain()
    }

    /// Queues one message; it goes out as soon as SCTP's send buffer has room.
    public func send(stream: UInt16, ppid: UInt32, data: [UInt8], unordered: Bool = false) throws(SCTPError) {
        guard !isClosed else { throw SCTPError.closed }
        guard data.count <= maxSendMessageSize else { throw SCTPError.messageTooLarge(size: data.count, limit: maxSendMessageSize) }
        pending.append((stream, ppid, unordered, data))
        bufferedAmount += data.count
        try flushPending()
    }

    /// Resets our outgoing stream: the data channel on it is closed (RFC 8831 §6.7).
    public func resetStream(_ stream: UInt16) {
        _ = csctp_reset_stream(handle, stream)
        drain()
    }

    public func shutdown() {
        guard !isClosed else { return }
        csctp_shutdown(handle)
        drain()
    }

    public func pollTransmit() -> [UInt8]? {
        let length = csctp_peek_output(handle)
        guard length > 0 else { return nil }
        var packet = [UInt8](repeating: 0, count: length)
        let popped = packet.withUnsafeMutableBufferPointer { csctp_pop_output(handle, $0.baseAddress, $0.count) }
        return popped > 0 ? packet : nil
    }

    public func pollEvent() -> SCTPEvent? {
        events.popFirst()
    }

    private func flushPending() throws(SCTPError) {
        while pendingIndex < pending.count {
            let message = pending[pendingIndex]
            let result = message.data.withUnsafeBufferPointer {
                csctp_send(handle, message.stream, message.ppid, message.unordered ? 1 : 0, $0.baseAddress, $0.count)
            }
            if result >= 0 {
                bufferedAmount -= message.data.count
                pendingIndex += 1
            } else if -result == Int(EWOULDBLOCK) || -result == Int(EAGAIN) {
                sendBlocked = true
                break
            } else {
                throw SCTPError.sendFailed(errno: Int32(-result))
            }
        }
        if pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if sendBlocked {
                sendBlocked = false
                events.append(.bufferedAmountLow)
            }
        } else if pendingIndex >= 64 && pendingIndex * 2 >= pending.count {
            // A sender that never lets the queue run dry would otherwise keep every sent message alive.
            pending.removeFirst(pendingIndex)
            pendingIndex = 0
        }
    }

    /// Reads everything usrsctp has for us, unless paused: message pieces and notifications.
    private func drain() {
        while !isReceivePaused {
            var info = csctp_info()
            let length = buffer.withUnsafeMutableBufferPointer { csctp_receive(handle, $0.baseAddress, $0.count, &info) }
            guard length >= 0 else { break }
            switch info.kind {
            case CSCTP_DATA:
                var message = partial.removeValue(forKey: info.stream) ?? []
                message.append(contentsOf: buffer[0..<length])
                if message.count > maxReceiveMessageSize {
                    // A peer that ignores our advertised limit gets its message dropped, not our memory.
                    continue
                }
                if info.end_of_message != 0 {
                    events.append(.message(stream: info.stream, ppid: info.ppid, data: message))
                } else {
                    partial[info.stream] = message
                }
            case CSCTP_CONNECTED:
                events.append(.connected)
            case CSCTP_CLOSED:
                isClosed = true
                events.append(.closed)
            case CSCTP_STREAM_RESET:
                let streams = withUnsafeBytes(of: info.reset_streams) { Array($0.bindMemory(to: UInt16.self).prefix(Int(info.reset_count))) }
                events.append(.streamsReset(streams))
            default:
                break
            }
        }
        if csctp_take_writable(handle) != 0 && pendingIndex < pending.count {
            try? flushPending()
        }
    }
}
