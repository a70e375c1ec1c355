/// A `c=` line. WebRTC writes `c=IN IP4 0.0.0.0` and finds the real addresses in candidates;
/// aiortc writes its default candidate's address here.
public struct SDPConnection: Sendable, Hashable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// `c=IN IP4 0.0.0.0`, what a data-channel m-section carries.
    public static let unspecified = SDPConnection()

    init?(parsing text: Substring) {
        let fields = SDPText.fields(text)
        guard fields.count == 3 else { return nil }
        self.init(networkType: String(fields[0]), addressType: String(fields[1]), address: String(fields[2]))
    }

    var text: String { "\(networkType) \(addressType) \(address)" }
}
