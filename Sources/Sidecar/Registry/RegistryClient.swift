import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PeerConnection
import MeshProtocol
import NIOCore
import Synchronization

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

/// The registry's HTTP side as the sidecar uses it: the token exchange and the ICE servers. With several
/// replicas it asks the one that answered last, and moves to the next while one cannot be reached.
final class RegistryClient: Sendable {
    let tokenURLs: [String]
    let credential: SidecarConfiguration.Credential
    let http: HTTPClient
    /// The index of the token URL that answered last.
    private let preferred = Mutex(0)

    init(tokenURLs: [String], credential: SidecarConfiguration.Credential, http: HTTPClient = .shared) {
        self.tokenURLs = tokenURLs
        self.credential = credential
        self.http = http
    }

    /// `GET /api/config` beside a token endpoint.
    static func configURL(besides tokenURL: String) -> String {
        guard var components = URLComponents(string: tokenURL) else { return tokenURL }
        components.path = "/api/config"
        components.query = nil
        return components.string ?? tokenURL
    }

    /// Runs `call` against the replica that answered last, then the others in turn while one cannot be
    /// reached; the one that answers becomes the preferred one.
    private func firstAnswering<Answer>(_ call: (String) async throws -> Answer) async throws -> Answer {
        let start = preferred.withLock { $0 }
        var lastError: any Error = TokenError.unreachable("no token URL")
        for offset in tokenURLs.indices {
            let index = (start + offset) % tokenURLs.count
            do {
                let answer = try await call(tokenURLs[index])
                preferred.withLock { $0 = index }
                return answer
            } catch TokenError.unreachable(let why) {
                lastError = TokenError.unreachable(why)
            }
        }
        throw lastError
    }

    /// Exchanges the API key or device token for a short-lived signaling JWT, from the first replica that
    /// answers (a refused credential is final: every replica shares the keys).
    func fetchToken() async throws -> SignalingToken {
        try await firstAnswering(fetchToken(from:))
    }

    private func fetchToken(from tokenURL: String) async throws -> SignalingToken {
        var request = HTTPClientRequest(url: tokenURL)
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
            let grant = try JSONDecoder().decode(TokenGrant.self, from: Data(body.readableBytesView))
            return SignalingToken(token: grant.token, peerId: grant.peerId, expiresAt: requested + .seconds(grant.lifetimeSeconds))
        } catch {
            throw TokenError.malformed("\(error)")
        }
    }
}

extension RegistryClient {
    /// The STUN and TURN servers the registry hands out (TURN with fresh ephemeral credentials), from the
    /// first replica that answers.
    func fetchICEServers(token: SignalingToken) async throws -> [ICEServer] {
        try await firstAnswering { tokenURL in try await fetchICEServers(token: token, from: Self.configURL(besides: tokenURL)) }
    }

    private func fetchICEServers(token: SignalingToken, from configURL: String) async throws -> [ICEServer] {
        var request = HTTPClientRequest(url: configURL)
        request.headers.add(name: "authorization", value: "Bearer \(token.token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(10))
        } catch {
            throw TokenError.unreachable("GET /api/config: \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { throw TokenError.unreachable("GET /api/config: HTTP \(response.status.code)") }
        return try JSONDecoder().decode(ICEConfiguration.self, from: Data(body.readableBytesView)).iceServers
    }
}
