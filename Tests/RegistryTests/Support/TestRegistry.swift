import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Registry
import Synchronization

/// Keys of the test registry: one admin, one read-only hub, two agent principals.
enum TestKeys {
    static let admin = "test_admin_key_0001"
    static let hub = "test_hub_key_000001"
    static let agentA = "test_agent_key_a001"
    static let agentB = "test_agent_key_b001"
    static let secret = String(repeating: "s", count: 40)

    static let all: [String: APIKeyEntry] = [
        admin: APIKeyEntry(peerId: "admin", role: .admin),
        hub: APIKeyEntry(peerId: "hub-viewer", role: .hub),
        agentA: APIKeyEntry(peerId: "peer-a", role: .agent),
        agentB: APIKeyEntry(peerId: "peer-b", role: .agent),
    ]
}

/// A clock tests can move by hand.
final class VirtualClock: Sendable {
    private let time = Mutex<Double>(1_800_000_000)
    var now: Double { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}

extension RegistryServer {
    static func test(
        allowAnonymous: Bool = false, clock: VirtualClock? = nil, store: (any RegistryStore)? = nil,
        configure: (inout RegistryConfiguration) -> Void = { _ in }
    ) async throws -> RegistryServer {
        var config = RegistryConfiguration(signingSecret: TestKeys.secret, apiKeys: TestKeys.all, database: try await TestDatabase.ephemeral())
        config.host = "127.0.0.1"
        config.port = 0
        config.allowAnonymous = allowAnonymous
        configure(&config)
        var logger = Logger(label: "test-registry")
        logger.logLevel = .warning
        if let clock {
            return try await make(config: config, logger: logger, store: store, clock: { clock.now })
        }
        return try await make(config: config, logger: logger, store: store)
    }
}

/// Small request helpers over HummingbirdTesting's client.
extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String? = nil, headers: HTTPFields = [:], json: String? = nil
    ) async throws -> TestResponse {
        var headers = headers
        if let key { headers[HTTPField.Name("x-api-key")!] = key }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func token(key: String) async throws -> String {
        let response = try await call(.post, "/api/token", key: key)
        guard let token = try response.object()["token"] as? String else { throw TestFailure("no token in \(response.text)") }
        return token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func object() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }

    func array() throws -> [[String: Any]] {
        guard let array = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]] else {
            throw TestFailure("not a JSON array: \(text)")
        }
        return array
    }

    /// The `error` message of a JSON error body.
    var errorMessage: String? { (try? object())?["error"] as? String }
}

/// Polls `condition` until it holds, for at most `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("not within \(timeout): \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
