/// Data Channel Establishment Protocol messages (RFC 8832), carried with PPID 50.
public enum DCEPMessage: Sendable, Equatable {
    case open(DataChannelParameters)
    case ack

    static let openType: UInt8 = 0x03
    static let ackType: UInt8 = 0x02

    public enum ParseError: Error, Sendable, Equatable {
        case empty
        case unknownMessageType(UInt8)
        case truncated(needed: Int, available: Int)
        case unknownChannelType(UInt8)
        case invalidUTF8
    }

    /// Parses one DCEP message; malformed input is an error, never a trap.
    public init(bytes: [UInt8]) throws(ParseError) {
        guard let type = bytes.first else { throw .empty }
        switch type {
        case Self.ackType:
            self = .ack
        case Self.openType:
            guard bytes.count >= 12 else { throw .truncated(needed: 12, available: bytes.count) }
            let channelTypeByte = bytes[1]
            guard let channelType = DataChannelParameters.ChannelType(rawValue: channelTypeByte) else {
                throw .unknownChannelType(channelTypeByte)
            }
            let priority = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let reliability = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            let protocolLength = Int(bytes[10]) << 8 | Int(bytes[11])
            let needed = 12 + labelLength + protocolLength
            guard bytes.count >= needed else { throw .truncated(needed: needed, available: bytes.count) }
            guard let label = String(validating: bytes[12..<(12 + labelLength)], as: UTF8.self),
                let subprotocol = String(validating: bytes[(12 + labelLength)..<needed], as: UTF8.self)
            else { throw .invalidUTF8 }
            self = .open(DataChannelParameters(
                label: label, protocol: subprotocol, channelType: channelType, priority: priority, reliabilityParameter: reliability))
        default:
            throw .unknownMessageType(type)
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .ack:
            return [Self.ackType]
        case .open(let parameters):
            let label = Array(parameters.label.utf8)
            let subprotocol = Array(parameters.protocol.utf8)
            var out: [UInt8] = [Self.openType, parameters.channelType.rawValue]
            out += [UInt8(parameters.priority >> 8), UInt8(parameters.priority & 0xFF)]
            out += (0..<4).map { UInt8(truncatingIfNeeded: parameters.reliabilityParameter >> (24 - 8 * $0)) }
            out += [UInt8(truncatingIfNeeded: label.count >> 8), UInt8(truncatingIfNeeded: label.count)]
            out += [UInt8(truncatingIfNeeded: subprotocol.count >> 8), UInt8(truncatingIfNeeded: subprotocol.count)]
            return out + label + subprotocol
        }
    }
}

/// How a channel was negotiated: its label, subprotocol and reliability.
public struct DataChannelParameters: Sendable, Equatable {
    /// RFC 8832 §5.1 channel types.
    public enum ChannelType: UInt8, Sendable {
        case reliable = 0x00
        case reliableUnordered = 0x80
        case partialReliableRexmit = 0x01
        case partialReliableRexmitUnordered = 0x81
        case partialReliableTimed = 0x02
        case partialReliableTimedUnordered = 0x82

        public var isOrdered: Bool { rawValue & 0x80 == 0 }
    }

    public var label: String
    public var `protocol`: String
    public var channelType: ChannelType
    public var priority: UInt16
    public var reliabilityParameter: UInt32

    public init(label: String, protocol: String = "", channelType: ChannelType = .reliable, priority: UInt16 = 256, reliabilityParameter: UInt32 = 0) {
        self.label = label
        self.protocol = `protocol`
        self.channelType = channelType
        self.priority = priority
        self.reliabilityParameter = reliabilityParameter
    }
}

/// SCTP payload protocol identifiers used by WebRTC data channels (RFC 8831 §8).
public enum DataChannelPPID {
    public static let dcep: UInt32 = 50
    public static let string: UInt32 = 51
    public static let binary: UInt32 = 53
    public static let emptyString: UInt32 = 56
    public static let emptyBinary: UInt32 = 57
}
