/// The 12-bit method of a STUN message. Methods this stack does not know are still representable,
/// so a server can answer them with an error instead of the parser dropping them.
public struct STUNMethod: RawRepresentable, Sendable, Hashable {
    /// Only the low 12 bits are meaningful; the initializer masks the rest off.
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue & 0x0FFF
    }

    /// RFC 8489.
    public static let binding = STUNMethod(rawValue: 0x001)
    /// RFC 8656 (TURN).
    public static let allocate = STUNMethod(rawValue: 0x003)
    public static let refresh = STUNMethod(rawValue: 0x004)
    public static let send = STUNMethod(rawValue: 0x006)
    public static let data = STUNMethod(rawValue: 0x007)
    public static let createPermission = STUNMethod(rawValue: 0x008)
    public static let channelBind = STUNMethod(rawValue: 0x009)
}

extension STUNMethod: CustomStringConvertible {
    public var description: String {
        switch self {
        case .binding: "Binding"
        case .allocate: "Allocate"
        case .refresh: "Refresh"
        case .send: "Send"
        case .data: "Data"
        case .createPermission: "CreatePermission"
        case .channelBind: "ChannelBind"
        default: "Method(0x\(String(rawValue, radix: 16)))"
        }
    }
}
