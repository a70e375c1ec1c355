import AsyncHTTPClient
import Foundation
import MeshProtocol
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// How an agent proves who it is to the registry: an API key, or a device token from `chatixia pair`.
public enum RegistryCredential: Sendable, Equatable {
    case apiKey(String)
    case deviceToken(String)

    var header: (name: String, value: String) {
        switch self {
        case .apiKey(let key): ("x-api-key", key)
        case .deviceToken(let token): ("x-device-token", token)
        }
    }
}

/// The registry's HTTP API (CONTRACT.md §2) as an agent uses it. Given several replicas' URLs
/// (comma-separated), it uses one until it cannot be reached, then the next: the caller's own retry, with
/// its backoff, goes to the next replica (a request is never repeated on another replica by itself, so
/// nothing is submitted twice).
public struct RegistryClient: Sendable {
    public let baseURLs: [String]
    /// The index of the URL in use, shared by copies of this client.
    private let current = Current()
    public let credential: RegistryCredential?
    let http: HTTPClient
    /// Default time for a call that is not a long-poll.
    let timeout: TimeAmount

    private final class Current: Sendable {
        let index = Mutex(0)
    }

    /// The URL in use.
    public var baseURL: String { baseURLs[current.index.withLock { $0 }] }

    public init(baseURL: String, credential: RegistryCredential?, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
        baseURLs = Manifest.registryURLs(baseURL)
        self.credential = credential
        self.http = http
        self.timeout = timeout
    }

    /// A client that also trusts the PEM CA certificates in `caFile` (`CA_FILE`) for an `https://` registry.
    /// With several replicas, a refused connection fails the call at once instead of being retried until
    /// its deadline, so the next call goes to the next replica without waiting.
    public init(baseURL: String, credential: RegistryCredential?, caFile: String?) {
        let failFast = Manifest.registryURLs(baseURL).count > 1
        self.init(baseURL: baseURL, credential: credential, http: Self.httpClient(trusting: caFile, failingFast: failFast))
    }

    /// One HTTP client per kind for the life of the process (like `.shared`, never shut down).
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func httpClient(trusting caFile: String?, failingFast: Bool) -> HTTPClient {
        guard caFile != nil || failingFast else { return .shared }
        let kind = "\(failingFast) \(caFile ?? "")"
        return clients.withLock { clients in
            if let client = clients[kind] { return client }
            var configuration = HTTPClient.Configuration(tlsConfiguration: ClientTLS.configuration(caFile: caFile))
            configuration.connectionPool.retryConnectionEstablishment = !failingFast
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[kind] = client
            return client
        }
    }

    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// Percent-encodes one path segment (agent and task ids are user-chosen text).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Percent-encodes a query value.
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    /// One call: sends `body` as JSON, maps failures to `RegistryError`, decodes a 2xx answer as `Answer`.
    func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as String?, headers extra: [(String, String)] = [],
        timeout: TimeAmount? = nil, as answer: Answer.Type
    ) async throws -> Answer {
        let (status, bytes) = try await exchange(method, path, body: body, headers: extra, timeout: timeout)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: bytes, retryAfter: nil) }
        do {
            return try Self.decoder.decode(Answer.self, from: bytes)
        } catch {
            throw RegistryError.badResponse(url: baseURL + path, reason: "\(error)")
        }
    }

    func exchange(_ method: HTTPMethod, _ path: String, body: (some Encodable)?, headers extra: [(String, String)], timeout: TimeAmount?) async throws -> (Int, Data) {
        let base = baseURL
        let url = base + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let credential { request.headers.add(name: credential.header.name, value: credential.header.value) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try Self.encoder.encode(body)))
        }
        let limit = timeout ?? self.timeout
        let response: HTTPClientResponse
        let data: Data
        do {
            response = try await http.execute(request, timeout: limit)
            var buffer = try await response.body.collect(upTo: 16 << 20)
            data = buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            if error == .connectTimeout { moveOn(from: base) }
            throw RegistryError.timedOut(url: url, seconds: Int(limit.nanoseconds / 1_000_000_000))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            moveOn(from: base)
            throw RegistryError.unreachable(url: base, reason: "\(error)")
        }
        if response.status == .tooManyRequests {
            throw Self.error(status: 429, body: data, retryAfter: response.headers.first(name: "retry-after").flatMap { Int($0) })
        }
        return (Int(response.status.code), data)
    }

    /// The replica at `base` cannot be reached: later calls go to the next one (once, however many calls
    /// failed against it at the same time).
    private func moveOn(from base: String) {
        guard baseURLs.count > 1 else { return }
        current.index.withLock { index in
            if baseURLs[index] == base { index = (index + 1) % baseURLs.count }
        }
    }

    static func error(status: Int, body: Data, retryAfter: Int?) -> RegistryError {
        let message = (try? decoder.decode(ErrorReply.self, from: body).error) ?? String(decoding: body.prefix(300), as: UTF8.self)
        switch status {
        case 401: return .unauthorized(message)
        case 403: return .forbidden(message)
        case 404: return .notFound(message)
        case 429: return .rateLimited(retryAfterSeconds: retryAfter, message: message)
        default: return .rejected(status: status, message: message)
        }
    }
}

