import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOHTTPTypes
import NIOCore
import Synchronization

/// hummingbird-websocket answers every refused WebSocket upgrade with a bare 400. The upgrade routes record
/// why they refused (401 for a missing or bad token, 403 for a refused role, 429) against the connection,
/// and `RefusedUpgradeStatusHandler`, in that connection's HTTP pipeline, puts that status on the 400.
final class WebSocketRefusals: Sendable {
    static let shared = WebSocketRefusals()
    private let statuses = Mutex<[ObjectIdentifier: HTTPResponse.Status]>([:])

    func record(_ status: HTTPResponse.Status, connection: ObjectIdentifier) {
        statuses.withLock { statuses in
            // Entries are taken within the same request; a connection that died first leaves one behind.
            if statuses.count > 10_000 { statuses.removeAll() }
            statuses[connection] = status
        }
    }

    func take(connection: ObjectIdentifier) -> HTTPResponse.Status? {
        statuses.withLock { $0.removeValue(forKey: connection) }
    }
}

/// Rewrites the status of a failed upgrade's 400 to the reason its route recorded.
final class RefusedUpgradeStatusHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        if case .head(var head) = part, head.status == .badRequest,
            let status = WebSocketRefusals.shared.take(connection: ObjectIdentifier(context.channel))
        {
            head.status = status
            part = .head(head)
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }
}

extension RegistryContext {
    /// Runs a WebSocket route's upgrade check, recording the status of a refusal for this connection.
    func refusingUpgrade<T>(_ check: () async throws -> T) async throws -> T {
        do {
            return try await check()
        } catch let error as APIError {
            WebSocketRefusals.shared.record(error.status, connection: connectionID)
            throw error
        }
    }
}
