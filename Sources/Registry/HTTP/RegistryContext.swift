import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Per-request context: WebSocket upgrade support, the client's address (for rate limits) and the
/// caller's identity once authenticated.
public struct RegistryContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?
    var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The client's IP address, the key for per-IP rate limits.
    var clientIP: String { remoteAddress?.ipAddress ?? "unknown" }

    func requireIdentity() throws(APIError) -> Identity {
        guard let identity else { throw APIError.unauthorized("missing credentials") }
        return identity
    }
}
