/// `{"status": "ok"}`: the answer of registrations, deregistrations, task reports and decisions.
public struct StatusReply: Sendable, Hashable, Codable {
    public var status: String

    public init(status: String = "ok") {
        self.status = status
    }

    public static let ok = StatusReply()
}
