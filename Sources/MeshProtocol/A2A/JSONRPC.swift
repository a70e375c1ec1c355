/// A JSON-RPC 2.0 request, with `params` kept as JSON until the method is known.
public struct JSONRPCRequest: Sendable, Hashable, Codable {
    public var jsonrpc: String
    /// A string or a number; absent or null for notifications (which A2A does not use).
    public var id: JSONValue?
    public var method: String
    public var params: JSONValue?

    public init(id: JSONValue?, method: String, params: JSONValue?) {
        self.jsonrpc = "2.0"
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A JSON-RPC 2.0 error, with A2A 1.0's codes (spec §5.4).
public struct JSONRPCError: Error, Sendable, Hashable, Codable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static func parse(_ message: String) -> Self { Self(code: -32700, message: message) }
    public static func invalidRequest(_ message: String) -> Self { Self(code: -32600, message: message) }
    public static func methodNotFound(_ method: String) -> Self { Self(code: -32601, message: "method '\(method)' not found") }
    public static func invalidParams(_ message: String) -> Self { Self(code: -32602, message: message) }
    public static func internalError(_ message: String) -> Self { Self(code: -32603, message: message) }
    public static func taskNotFound(_ id: String) -> Self { Self(code: -32001, message: "task '\(id)' not found") }
    public static func taskNotCancelable(_ id: String, state: String) -> Self {
        Self(code: -32002, message: "task '\(id)' is \(state) and can no longer be canceled")
    }
    public static let pushNotificationNotSupported = Self(code: -32003, message: "push notifications are not supported")
    public static func unsupportedOperation(_ message: String) -> Self { Self(code: -32004, message: message) }
    public static func contentTypeNotSupported(_ message: String) -> Self { Self(code: -32005, message: message) }
    public static func versionNotSupported(_ requested: String?) -> Self {
        Self(code: -32009, message: "A2A version '\(requested ?? "0.3")' is not supported; this agent speaks \(A2AVersion.supported)")
    }
}

/// A JSON-RPC 2.0 response: `result` or `error`, with the request's `id`.
public struct JSONRPCResponse<Result: Sendable & Codable>: Sendable, Codable {
    public var jsonrpc = "2.0"
    public var id: JSONValue
    public var result: Result?
    public var error: JSONRPCError?

    public init(id: JSONValue?, result: Result) {
        self.id = id ?? .null
        self.result = result
    }

    public init(id: JSONValue?, error: JSONRPCError) {
        self.id = id ?? .null
        self.error = error
    }
}
