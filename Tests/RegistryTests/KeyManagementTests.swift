import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Registry

/// API keys live in the database, hashed: admins create, list and revoke them; revocation ends a key's JWTs
/// at once; secrets can come from files.
@Suite struct KeyManagementTests {
    @Test func adminsCreateListAndRevokeKeysAndRevocationEndsTheirTokens() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let created = try await client.call(.post, "/api/keys", key: TestKeys.admin, json: #"{"peer_id":"worker-7","role":"agent","label":"build box"}"#)
            #expect(created.status == .created)
            let body = try created.object()
            let key = try #require(body["key"] as? String)
            let id = try #require(body["id"] as? String)
            #expect(key.count >= 32 && key.hasPrefix("ak_"))
            #expect(body["peer_id"] as? String == "worker-7" && body["role"] as? String == "agent" && body["revoked"] as? Bool == false)

            // The key works, for the API and for tokens; the listing never shows a secret.
            #expect(try await client.call(.get, "/api/registry/agents", key: key).status == .ok)
            let jwt = try await client.token(key: key)
            #expect(try await client.call(.get, "/api/registry/agents", headers: [.authorization: "Bearer \(jwt)"]).status == .ok)
            let listing = try await client.call(.get, "/api/keys", key: TestKeys.admin)
            #expect(!listing.text.contains(key))
            #expect(!listing.text.contains(TestKeys.agentA))
            #expect(try listing.array().contains { $0["id"] as? String == id && $0["source"] as? String == "api" })
            #expect(try listing.array().filter { $0["source"] as? String == "file" }.count == TestKeys.all.count)

            // Only admins manage keys.
            #expect(try await client.call(.get, "/api/keys", key: TestKeys.hub).status == .forbidden)
            #expect(try await client.call(.post, "/api/keys", key: key, json: #"{"peer_id":"x","role":"admin"}"#).status == .forbidden)
            #expect(try await client.call(.delete, "/api/keys/\(id)", key: key).status == .forbidden)

            // Revoked: the key and the JWT minted from it stop at once.
            #expect(try await client.call(.delete, "/api/keys/\(id)", key: TestKeys.admin).status == .ok)
            #expect(try await client.call(.get, "/api/registry/agents", key: key).status == .unauthorized)
            let afterRevocation = try await client.call(.get, "/api/registry/agents", headers: [.authorization: "Bearer \(jwt)"])
            #expect(afterRevocation.status == .unauthorized)
            #expect(afterRevocation.errorMessage == "API key has been revoked")
            #expect(try await client.call(.delete, "/api/keys/\(id)", key: TestKeys.admin).status == .conflict)
            #expect(try await client.call(.delete, "/api/keys/key_nothere", key: TestKeys.admin).status == .notFound)
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_revoked_credential_uses_total 2"))
        }
    }

    @Test func aRevokedKeysFileKeyStaysRevokedAcrossRestartsAndTheDatabaseHoldsOnlyHashes() async throws {
        let database = try await TestDatabase.fresh()
        defer { TestDatabase.remove(database) }
        let first = try await RegistryServer.test { $0.database = database }
        try await first.application.test(.router) { client async throws in
            let fileKey = try #require(try await client.call(.get, "/api/keys", key: TestKeys.admin).array().first { $0["peer_id"] as? String == "peer-b" })
            #expect(try await client.call(.delete, "/api/keys/\(fileKey["id"] as! String)", key: TestKeys.admin).status == .ok)
        }
        let stored = try await TestDatabase.records(in: database).map { "\($0.id) \($0.body)" }.joined(separator: "\n")
        #expect(stored.contains("peer-b"))
        for key in TestKeys.all.keys { #expect(!stored.contains(key)) }
        let second = try await RegistryServer.test { $0.database = database }
        try await second.application.test(.router) { client async throws in
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.agentB).status == .unauthorized)
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.agentA).status == .ok)
        }
    }

    @Test func aKeysFileCanHoldOnlyHashesOfItsKeys() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hashed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = "a-key-that-never-touches-the-registrys-disk"
        let hash = KeyIndex.sha256Hex(key)
        // From systemd's credentials directory when neither --api-keys nor API_KEYS_FILE names a file.
        try #"{"keys": {"sha256:\#(hash.uppercased())": {"peer_id": "ops", "role": "admin"}}}"#
            .write(to: directory.appendingPathComponent("api_keys.json"), atomically: true, encoding: .utf8)
        let config = try RegistryConfiguration.resolve(
            flags: .init(), environment: ["CREDENTIALS_DIRECTORY": directory.path, "SIGNALING_SECRET": TestKeys.secret]).0
        let server = try await RegistryServer.test { $0.apiKeys = config.apiKeys }
        try await server.application.test(.router) { client async throws in
            #expect(try await client.call(.get, "/api/keys", key: key).status == .ok)
            #expect(try await client.call(.get, "/api/keys", key: "sha256:" + hash).status == .unauthorized)
            // A hashed key's length is unknown, so it is no short key.
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_short_api_keys 0"))
        }
        for bad in ["sha256:abc", "sha256:" + String(repeating: "g", count: 64)] {
            let path = directory.appendingPathComponent("bad.json").path
            try #"{"keys": {"\#(bad)": {"peer_id": "ops", "role": "admin"}}}"#.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ConfigurationError.self) { try RegistryConfiguration.resolve(flags: .init(apiKeys: path), environment: ["SIGNALING_SECRET": TestKeys.secret]) }
        }
    }

    @Test func secretsComeFromFilesAndSystemdCredentials() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = directory.appendingPathComponent("keys.json").path
        try #"{"keys": {"a-long-enough-key-0001": {"peer_id": "p", "role": "agent"}}}"#.write(toFile: keys, atomically: true, encoding: .utf8)
        let secret = String(repeating: "f", count: 40)
        try (secret + "\n").write(to: directory.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        let fromFile = try RegistryConfiguration.resolve(
            flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET_FILE": directory.appendingPathComponent("secret").path]).0
        #expect(fromFile.signingSecret == secret)

        try (secret.uppercased()).write(to: directory.appendingPathComponent("signaling_secret"), atomically: true, encoding: .utf8)
        try "turn-shared".write(to: directory.appendingPathComponent("turn_secret"), atomically: true, encoding: .utf8)
        let fromSystemd = try RegistryConfiguration.resolve(
            flags: .init(apiKeys: keys), environment: ["CREDENTIALS_DIRECTORY": directory.path, "TURN_URL": "turn:127.0.0.1:3478"]).0
        #expect(fromSystemd.signingSecret == secret.uppercased())
        #expect(fromSystemd.turn?.secret == "turn-shared")

        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET_FILE": directory.appendingPathComponent("missing").path])
        }
    }

    @Test func shortKeysFileKeysStillWorkButAreCounted() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            // The test keys are 19 characters: accepted, named in a warning, counted.
            #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.agentA).status == .ok)
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_short_api_keys 4"))
        }
    }

    @Test func revokingAKeyClosesTheHubStreamsOpenedWithIt() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client async throws in
            let created = try await client.call(.post, "/api/keys", key: TestKeys.admin, json: #"{"peer_id":"wall-screen","role":"hub"}"#).object()
            let key = try #require(created["key"] as? String)
            let events = WebSocketProbe(port: client.port!, path: "/api/hub/events?token=\(try await client.token(key: key))")
            _ = try await events.next(type: "snapshot")
            #expect(try await client.call(.delete, "/api/keys/\(created["id"] as! String)", key: TestKeys.admin).status == .ok)
            #expect(try await events.waitClosed() == 4003)
        }
    }
}
