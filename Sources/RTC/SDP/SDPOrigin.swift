/// The `o=` line: who made the description and which version of it this is.
public struct SDPOrigin: Sendable, Hashable {
    public var username: String
    /// Chromium uses a random 63-bit number; aiortc the current NTP seconds.
    public var sessionID: UInt64
    /// Incremented by the creator whenever the description changes.
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64, networkType: String = "IN",
                addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// Parses `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
    init?(parsing text: Substring) {
        let fields = SDPText.fields(text)
        guard fields.count == 6, let sessionID = SDPText.decimal(fields[1], as: UInt64.self),
              let sessionVersion = SDPText.decimal(fields[2], as: UInt64.self)
        else { return nil }
        self.init(username: String(fields[0]), sessionID: sessionID, sessionVersion: sessionVersion,
                  networkType: String(fields[3]), addressType: String(fields[4]), address: String(fields[5]))
    }

    var text: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }
}
