import HTTPTypes

/// An error answered to the client as `{"error": message}` with its status.
public struct APIError: Error, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let message: String
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String = "not found") -> APIError { APIError(.notFound, message) }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, message) }
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
}
