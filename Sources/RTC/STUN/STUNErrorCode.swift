/// The ERROR-CODE attribute: a code from 300 to 699 and a human-readable reason phrase.
public struct STUNErrorCode: Sendable, Hashable {
    /// The three-digit code: class (hundreds, 3...6) and number (0...99).
    public var code: Int
    public var reason: String

    public init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A code of the given value with the reason phrase the RFCs suggest for it.
    public init(code: Int) {
        self.init(code: code, reason: Self.defaultReason(for: code))
    }

    /// Whether the code fits the wire format: class 3 to 6, number below 100.
    public var isEncodable: Bool { (300...699).contains(code) }

    public static let tryAlternate = STUNErrorCode(code: 300)
    public static let badRequest = STUNErrorCode(code: 400)
    public static let unauthorized = STUNErrorCode(code: 401)
    public static let forbidden = STUNErrorCode(code: 403)
    public static let unknownAttribute = STUNErrorCode(code: 420)
    public static let allocationMismatch = STUNErrorCode(code: 437)
    public static let staleNonce = STUNErrorCode(code: 438)
    public static let addressFamilyNotSupported = STUNErrorCode(code: 440)
    public static let wrongCredentials = STUNErrorCode(code: 441)
    public static let unsupportedTransportProtocol = STUNErrorCode(code: 442)
    public static let peerAddressFamilyMismatch = STUNErrorCode(code: 443)
    public static let allocationQuotaReached = STUNErrorCode(code: 486)
    public static let roleConflict = STUNErrorCode(code: 487)
    public static let serverError = STUNErrorCode(code: 500)
    public static let insufficientCapacity = STUNErrorCode(code: 508)

    static func defaultReason(for code: Int) -> String {
        switch code {
        case 300: "Try Alternate"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 420: "Unknown Attribute"
        case 437: "Allocation Mismatch"
        case 438: "Stale Nonce"
        case 440: "Address Family not Supported"
        case 441: "Wrong Credentials"
        case 442: "Unsupported Transport Protocol"
        case 443: "Peer Address Family Mismatch"
        case 486: "Allocation Quota Reached"
        case 487: "Role Conflict"
        case 500: "Server Error"
        case 508: "Insufficient Capacity"
        default: ""
        }
    }
}
