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
    /// The client's IP address, the key for per-address rate limits: the peer of the connection, or the
    /// address a trusted proxy forwarded (`ClientAddressMiddleware`).
    var clientIP: String
    /// The connection, for `WebSocketRefusals`.
    let connectionID: ObjectIdentifier

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
        connectionID = ObjectIdentifier(source.channel)
        clientIP = remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }


    func requireIdentity() throws(APIError) -> Identity {
        guard let identity else { throw APIError.unauthorized("missing credentials") }
        return identity
    }
}
