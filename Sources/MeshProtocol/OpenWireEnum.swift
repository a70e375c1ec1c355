/// A wire enum that stays open: every string reads as a case, the ones this side does not know as
/// `unknown(name)`, so newer peers' values pass through. Read and written as its raw string.
public protocol OpenWireEnum: RawRepresentable, Hashable, Sendable, Codable where RawValue == String {
    /// The cases with names of their own.
    static var knownCases: [Self] { get }
    static func unknown(_ name: String) -> Self
    /// Never fails: a name no case has is `unknown(name)`.
    init(rawValue: String)
}

extension OpenWireEnum {
    public init(rawValue: String) {
        self = Self.knownCases.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
