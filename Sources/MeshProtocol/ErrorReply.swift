/// `{"error": "<message>"}`: the body of every refusal the registry answers.
public struct ErrorReply: Sendable, Hashable, Codable {
    public var error: String

    public init(_ error: String) {
        self.error = error
    }
}
