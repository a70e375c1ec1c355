import AsyncHTTPClient
import Foundation
import NIOCore

/// A signaling JWT from `POST /api/token`, with the peer id the registry assigned to our credential.
public struct SignalingToken: Sendable, Equatable {
    public var token: String
    public var peerId: String
    public var expiresAt: ContinuousClock.Instant

    /// Refresh a minute before expiry so a reconnect never presents a token about to lapse.
    func isFresh(at now: ContinuousClock.Instant) -> Bool { now < expiresAt - .seconds(60) }
}

public enum TokenError: Error, CustomStringConvertible {
    /// The registry refused the credential: retrying will not help.
    case rejected(status: UInt, message: String)
    case unreachable(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .rejected(let status, let message): "the registry refused our credential (HTTP \(status)): \(message)"
        case .unreachable(let why): "cannot reach the registry's token endpoint: \(why)"
        case .malformed(let why): "unexpected token response: \(why)"
        }
    }
}

/// Exchanges the sidecar's API key or device token for a short-lived signaling JWT.
struct TokenClient: Sendable {
    let url: String
    let credential: SidecarConfiguration.Credential
    var http: HTTPClient = .shared

    private struct Response: Decodable {
        let token: String
        let peer_id: String
        let expires_in: Int?
    }

    func fetch() async throws -> SignalingToken {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        switch credential {
        case .apiKey(let key): request.headers.add(name: "x-api-key", value: key)
        case .deviceToken(let token): request.headers.add(name: "x-device-token", value: token)
        }
        let requested = ContinuousClock.now
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(10))
            body = try await response.body.collect(upTo: 1 << 16)
        } catch {
            throw TokenError.unreachable("\(error)")
        }
        guard response.status == .ok else {
            let message = String(buffer: body)
            if response.status == .unauthorized || response.status == .forbidden {
                throw TokenError.rejected(status: response.status.code, message: message)
            }
            throw TokenError.unreachable("HTTP \(response.status.code) \(message)")
        }
        do {
            let decoded = try JSONDecoder().decode(Response.self, from: Data(body.readableBytesView))
            // Upstream registries send no lifetime; their tokens last 300 s like ours.
            let lifetime = decoded.expires_in ?? 300
            return SignalingToken(token: decoded.token, peerId: decoded.peer_id, expiresAt: requested + .seconds(lifetime))
        } catch {
            throw TokenError.malformed("\(error)")
        }
    }
}
