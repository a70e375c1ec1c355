import SCTP

/// A message on a data channel.
public enum DataChannelMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])

    /// The payload's size on the wire.
    public var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}

public enum DataChannelEvent: Sendable, Equatable {
    /// A channel is ready: we opened it and got the ACK, or the peer opened it.
    case opened(stream: UInt16, DataChannelParameters)
    case message(stream: UInt16, DataChannelMessage)
    case closed(stream: UInt16)
    case bufferedAmountLow
}

public enum DataChannelError: Error, Sendable, Equatable {
    case unknownChannel(UInt16)
    case noFreeStream
    case sctp(SCTPError)
}

/// Data channels over one SCTP association (RFC 8831/8832): in-band DCEP negotiation, stream ids by
/// DTLS role (the DTLS client takes even ids), PPIDs for text, binary and empty messages, and closing
/// by stream reset. Fed SCTP events; sends through the association.
public final class DataChannelEndpoint {
    private enum ChannelState {
        case opening, open
    }

    private struct Channel {
        var parameters: DataChannelParameters
        var state: ChannelState
    }

    private let association: SCTPAssociation
    private let isDTLSClient: Bool
    private var channels: [UInt16: Channel] = [:]
    private var nextStream: UInt16
    static let maxStreams: UInt16 = 1024

    public init(association: SCTPAssociation, isDTLSClient: Bool) {
        self.association = association
        self.isDTLSClient = isDTLSClient
        nextStream = isDTLSClient ? 0 : 1
    }

    /// Opens a channel with DCEP; it is usable once `.opened` arrives (data sent before that is queued by SCTP
    /// behind the OPEN on the same ordered stream, which the peer accepts as RFC 8832 §6 allows).
    public func open(_ parameters: DataChannelParameters, now: Duration) throws(DataChannelError) -> UInt16 {
        var stream = nextStream
        while channels[stream] != nil {
            stream += 2
            guard stream < Self.maxStreams else { throw .noFreeStream }
        }
        nextStream = stream + 2
        channels[stream] = Channel(parameters: parameters, state: .opening)
        try sendRaw(stream: stream, ppid: DataChannelPPID.dcep, data: DCEPMessage.open(parameters).bytes, ordered: true, now: now)
        return stream
    }

    public func send(_ message: DataChannelMessage, on stream: UInt16, now: Duration) throws(DataChannelError) {
        guard let channel = channels[stream] else { throw .unknownChannel(stream) }
        let ordered = channel.parameters.channelType.isOrdered
        switch message {
        case .text(let text):
            let bytes = Array(text.utf8)
            try sendRaw(stream: stream, ppid: bytes.isEmpty ? DataChannelPPID.emptyString : DataChannelPPID.string, data: bytes, ordered: ordered, now: now)
        case .binary(let bytes):
            try sendRaw(stream: stream, ppid: bytes.isEmpty ? DataChannelPPID.emptyBinary : DataChannelPPID.binary, data: bytes, ordered: ordered, now: now)
        }
    }

    /// Closes a channel by resetting its outgoing stream; the peer resets its side in answer.
    public func close(stream: UInt16, now: Duration) {
        guard channels[stream] != nil else { return }
        association.resetStream(stream, now: now)
    }

    public func parameters(of stream: UInt16) -> DataChannelParameters? { channels[stream]?.parameters }

    /// Turns one SCTP event into data-channel events.
    public func handle(_ event: SCTPEvent, now: Duration) -> [DataChannelEvent] {
        switch event {
        case .message(let stream, let ppid, let data):
            return handleMessage(stream: stream, ppid: ppid, data: data, now: now)
        case .streamsReset(let streams):
            return streams.compactMap { stream in
                guard channels.removeValue(forKey: stream) != nil else { return nil }
                // Answer with our own reset so the stream id can be reused (RFC 8831 §6.7).
                association.resetStream(stream, now: now)
                return .closed(stream: stream)
            }
        case .closed:
            let closed = channels.keys.sorted().map { DataChannelEvent.closed(stream: $0) }
            channels.removeAll()
            return closed
        case .bufferedAmountLow:
            return [.bufferedAmountLow]
        case .connected:
            return []
        }
    }

    private func handleMessage(stream: UInt16, ppid: UInt32, data: [UInt8], now: Duration) -> [DataChannelEvent] {
        switch ppid {
        case DataChannelPPID.dcep:
            guard let message = try? DCEPMessage(bytes: data) else { return [] }
            switch message {
            case .open(let parameters):
                // A peer may only open streams of its own parity; others are ignored.
                guard (stream % 2 == 0) != isDTLSClient, channels[stream] == nil else { return [] }
                channels[stream] = Channel(parameters: parameters, state: .open)
                try? sendRaw(stream: stream, ppid: DataChannelPPID.dcep, data: DCEPMessage.ack.bytes, ordered: true, now: now)
                return [.opened(stream: stream, parameters)]
            case .ack:
                guard let channel = channels[stream], channel.state == .opening else { return [] }
                channels[stream]?.state = .open
                return [.opened(stream: stream, channel.parameters)]
            }
        case DataChannelPPID.string:
            guard channels[stream] != nil else { return [] }
            return [.message(stream: stream, .text(String(decoding: data, as: UTF8.self)))]
        case DataChannelPPID.binary:
            guard channels[stream] != nil else { return [] }
            return [.message(stream: stream, .binary(data))]
        case DataChannelPPID.emptyString:
            guard channels[stream] != nil else { return [] }
            return [.message(stream: stream, .text(""))]
        case DataChannelPPID.emptyBinary:
            guard channels[stream] != nil else { return [] }
            return [.message(stream: stream, .binary([]))]
        default:
            return []
        }
    }

    private func sendRaw(stream: UInt16, ppid: UInt32, data: [UInt8], ordered: Bool, now: Duration) throws(DataChannelError) {
        do {
            try association.send(stream: stream, ppid: ppid, data: data, unordered: !ordered, now: now)
        } catch {
            throw .sctp(error)
        }
    }
}
