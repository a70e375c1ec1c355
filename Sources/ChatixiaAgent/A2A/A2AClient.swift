import AsyncHTTPClient
import Foundation
import MeshProtocol
import NIOCore
import NIOHTTP1

/// Talks A2A 1.0 (JSON-RPC binding) to one outside agent: reads its card, sends it messages.
struct A2AClient: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case http(url: String, status: UInt, body: String)
        case unusableCard(String)
        case rpc(JSONRPCError)
        case malformed(String)

        var description: String {
            switch self {
            case .http(let url, let status, let body): "\(url) answered HTTP \(status): \(body.prefix(300))"
            case .unusableCard(let why): "unusable agent card: \(why)"
            case .rpc(let error): "the agent answered error \(error.code): \(error.message)"
            case .malformed(let why): "malformed answer: \(why)"
            }
        }
    }

    let name: String
    /// The base URL or the card's URL, as configured.
    let url: String
    let headers: [String: String]
    let http: HTTPClient
    var timeout: TimeAmount = .seconds(120)

    /// One client for every outside agent: a refused or silent address fails within 3 s instead of the default
    /// 10 s of retried connection attempts, which would hold up the agent's start; redirects are not followed,
    /// since they would carry the configured key to wherever they point.
    static let sharedHTTP = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(3))))

    /// Where the card is: the configured URL if it names a JSON file, else its well-known path.
    var cardURL: String {
        url.hasSuffix(".json") ? url : (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/.well-known/agent-card.json"
    }

    func card() async throws -> A2AAgentCard {
        let body = try await request(.GET, cardURL, body: nil, timeout: .seconds(10))
        do {
            return try JSONDecoder().decode(A2AAgentCard.self, from: body)
        } catch {
            throw Failure.unusableCard("\(error)")
        }
    }

    /// The card's JSON-RPC endpoint for protocol 1.x. It must be on the configured URL's origin (scheme, host
    /// and port): the configured headers carry a key, which a card must not be able to send elsewhere.
    func endpoint(of card: A2AAgentCard) throws(Failure) -> String {
        guard let interface = card.supportedInterfaces.first(where: { $0.protocolBinding == "JSONRPC" && $0.protocolVersion.hasPrefix("1.") })
        else { throw .unusableCard("no JSON-RPC interface for protocol 1.x") }
        guard Self.origin(interface.url) == Self.origin(url) else {
            throw .unusableCard("its JSON-RPC endpoint \(interface.url) is not on \(Self.origin(url) ?? url), where the configured headers may go")
        }
        return interface.url
    }

    /// `scheme://host:port` of a URL, with the scheme's default port.
    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        return "\(scheme)://\(host):\(url.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// `SendMessage`, blocking until the task ends or needs input.
    func send(_ message: A2AMessage, to endpoint: String) async throws -> A2AStreamResponse {
        let body = try await request(.POST, endpoint, body: try Self.rpc("SendMessage", message), timeout: timeout)
        return try Self.result(of: body)
    }

    /// `SendStreamingMessage`: each event of the server-sent stream goes to `onEvent` as it arrives, until the
    /// server ends the stream. A server that answers with plain JSON instead (an error) is answered as `send`.
    func stream(_ message: A2AMessage, to endpoint: String, onEvent: (A2AStreamResponse) async throws -> Void) async throws {
        let response = try await http.execute(
            httpRequest(.POST, endpoint, body: try Self.rpc("SendStreamingMessage", message), accept: "text/event-stream"), timeout: timeout)
        guard response.status == .ok, response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true else {
            let data = Data(buffer: try await response.body.collect(upTo: 8 << 20))
            guard response.status == .ok else { throw Failure.http(url: endpoint, status: response.status.code, body: String(decoding: data, as: UTF8.self)) }
            return try await onEvent(Self.result(of: data))
        }
        var events = ServerSentEvents()
        for try await chunk in response.body {
            for data in try events.feed(chunk.readableBytesView) { try await onEvent(Self.result(of: data)) }
        }
    }

    private static func rpc(_ method: String, _ message: A2AMessage) throws -> Data {
        try JSONEncoder().encode(JSONRPCRequest(
            id: .string(UUID().uuidString.lowercased()), method: method,
            params: try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(A2ASendMessageParams(message: message)))))
    }

    /// A JSON-RPC answer's result, or its error thrown.
    private static func result(of body: Data) throws -> A2AStreamResponse {
        let answer: JSONRPCResponse<A2AStreamResponse>
        do {
            answer = try JSONDecoder().decode(JSONRPCResponse<A2AStreamResponse>.self, from: body)
        } catch {
            throw Failure.malformed("\(error)")
        }
        if let error = answer.error { throw Failure.rpc(error) }
        guard let result = answer.result else { throw Failure.malformed("neither result nor error") }
        return result
    }

    private func httpRequest(_ method: HTTPMethod, _ url: String, body: Data?, accept: String = "application/json") -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: A2AVersion.header, value: A2AVersion.supported)
        request.headers.add(name: "accept", value: accept)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        return request
    }

    private func request(_ method: HTTPMethod, _ url: String, body: Data?, timeout: TimeAmount) async throws -> Data {
        let response = try await http.execute(httpRequest(method, url, body: body), timeout: timeout)
        let data = Data(buffer: try await response.body.collect(upTo: 8 << 20))
        guard response.status == .ok else {
            throw Failure.http(url: url, status: response.status.code, body: String(decoding: data, as: UTF8.self))
        }
        return data
    }
}
