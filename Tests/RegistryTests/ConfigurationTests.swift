import Foundation
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct ConfigurationTests {
    let secret = String(repeating: "k", count: 32)

    func writeKeys(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func missingOrShortSecretIsAnErrorOutsideDev() throws {
        let keys = try writeKeys(#"{"keys":{"abcdefgh12":{"peer_id":"p","role":"agent"}}}"#)
        #expect(throws: ConfigurationError.self) { try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: [:]) }
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": "short"])
        }
        let (config, _) = try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret])
        #expect(config.signingSecret == secret)
        #expect(config.apiKeys["abcdefgh12"] == APIKeyEntry(peerId: "p", role: .agent))
        #expect(config.stunURLs == [RegistryConfiguration.defaultSTUN])
        #expect(config.port == 8080)
        #expect(!config.dev)
    }

    @Test(arguments: [
        "", "{}", #"{"keys": []}"#, #"{"ak_flat": {"peer_id": "p", "role": "agent"}}"#, #"{"keys": {"abcdefgh12": {"peer_id": "p", "role": "root"}}}"#,
        #"{"keys": {"short": {"peer_id": "p", "role": "agent"}}}"#, #"{"keys": {}}"#,
    ])
    func malformedKeysFilesAreConfigurationErrors(_ text: String) throws {
        let keys = try writeKeys(text)
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret])
        }
        // Even in --dev an explicitly named broken file is an error, never a silent fallback.
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys, dev: true), environment: [:])
        }
    }

    @Test func devModeDefaults() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(directory.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let (first, warnings) = try RegistryConfiguration.resolve(flags: .init(dev: true), environment: [:])
        let (second, _) = try RegistryConfiguration.resolve(flags: .init(dev: true), environment: [:])
        #expect(first.signingSecret.utf8.count >= 32)
        #expect(first.signingSecret != second.signingSecret)
        #expect(first.apiKeys["ak_dev_001"] == APIKeyEntry(peerId: "agent-001", role: .agent))
        #expect(first.apiKeys["ak_admin_dev"]?.role == .admin)
        #expect(first.stunURLs.isEmpty)
        #expect(!warnings.isEmpty)
    }

    @Test func aPostgresURLSelectsPostgreSQLWithItsTLSModeAndNeverLogsThePassword() throws {
        let keys = try writeKeys(#"{"keys":{"abcdefgh12":{"peer_id":"p","role":"hub"}}}"#)
        let url = "postgres://mesh:s%40cret@db.example:6543/chatixia?sslmode=verify-full&application_name=replica-a"
        let (config, _) = try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "CHATIXIA_DB": url])
        guard case .postgres(let settings) = config.database else { Issue.record("not PostgreSQL: \(config.database)"); return }
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.user == "mesh")
        #expect(settings.password == "s@cret")
        #expect(settings.database == "chatixia")
        #expect(settings.sslMode == .verifyFull)
        #expect(settings.applicationName == "replica-a")
        #expect(!config.database.description.contains("cret"))
        #expect(config.database.description.contains("mesh:***@db.example:6543/chatixia"))
        // Without sslmode, libpq's default; a socket directory instead of TCP.
        let local = try PostgresSettings(url: "postgresql://mesh@/chatixia?host=/run/postgresql")
        #expect(local.sslMode == .prefer)
        #expect(local.socketDirectory == "/run/postgresql")
        // The URL may come from a file, as secrets may.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("db-\(UUID().uuidString)").path
        try (url + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (fromFile, _) = try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "CHATIXIA_DB_FILE": file])
        #expect(fromFile.database == config.database)
        // A typo cannot silently weaken the connection.
        for bad in ["postgres://h/db?sslmode=verify", "postgres://h/db?ssl_mode=require", "postgres://h:99999/db", "postgres://h/db?host=relative",
                    "postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try RegistryConfiguration.resolve(flags: .init(db: bad, apiKeys: keys), environment: ["SIGNALING_SECRET": secret])
            }
        }
    }

    @Test func flagsWinOverEnvironmentAndBadValuesAreErrors() throws {
        let keys = try writeKeys(#"{"keys":{"abcdefgh12":{"peer_id":"p","role":"hub"}}}"#)
        let env = ["SIGNALING_SECRET": secret, "PORT": "9000", "HOST": "127.0.0.1", "CHATIXIA_DB": "/tmp/x.db", "STUN_URLS": " stun:a:1 , stun:b:2 ,"]
        let (config, _) = try RegistryConfiguration.resolve(flags: .init(port: 9100, apiKeys: keys), environment: env)
        #expect(config.port == 9100)
        #expect(config.host == "127.0.0.1")
        #expect(config.database == .sqlite(path: "/tmp/x.db"))
        #expect(config.stunURLs == ["stun:a:1", "stun:b:2"])
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "PORT": "http"])
        }
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "TURN_URL": "turn:x", "TURN_SECRET": "s", "TURN_TTL": "-5"])
        }
        let (turn, _) = try RegistryConfiguration.resolve(
            flags: .init(apiKeys: keys),
            environment: ["SIGNALING_SECRET": secret, "TURN_URL": "turn:192.0.2.1?transport=udp, turn:192.0.2.1?transport=tcp,turns:192.0.2.1", "TURN_SECRET": "s"])
        #expect(turn.turn?.urls == ["turn:192.0.2.1?transport=udp", "turn:192.0.2.1?transport=tcp", "turns:192.0.2.1"])
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "TURN_URL": "stun:192.0.2.1", "TURN_SECRET": "s"])
        }
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "TURN_URL": "turn:192.0.2.1?transport=sctp", "TURN_SECRET": "s"])
        }
        let (empty, _) = try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "STUN_URLS": "", "TURN_URL": "", "TURN_SECRET": "s"])
        #expect(empty.stunURLs.isEmpty)
        #expect(empty.turn == nil)
    }

    @Test func hubDirectoryMustHoldAnIndexPage() throws {
        let keys = try writeKeys(#"{"keys":{"abcdefgh12":{"peer_id":"p","role":"hub"}}}"#)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: ConfigurationError.self) {
            try RegistryConfiguration.resolve(flags: .init(apiKeys: keys, hubDirectory: empty.path), environment: ["SIGNALING_SECRET": secret])
        }
        try "<!doctype html>".write(to: empty.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let (config, _) = try RegistryConfiguration.resolve(flags: .init(apiKeys: keys), environment: ["SIGNALING_SECRET": secret, "CHATIXIA_HUB_DIR": empty.path])
        #expect(config.hubDirectory == empty.path)
    }

    @Test func turnCredentialsMatchCoturnsAuthSecretScheme() async throws {
        // Upstream's test vector.
        #expect(RegistryServices.turnCredential(secret: "my-secret", username: "1700000000:mesh") == "FY0EQsIVzE0oG9WXfEDH+9fGga4=")
        let server = try await RegistryServer.test { config in
            config.stunURLs = ["stun:127.0.0.1:3478"]
            config.turn = .init(urls: ["turn:127.0.0.1:3478", "turns:127.0.0.1:5349"], secret: "my-secret", ttl: 600)
        }
        try await server.application.test(.router) { client in
            let body = try await client.call(.get, "/api/config", key: TestKeys.agentA).object()
            let servers = try #require(body["iceServers"] as? [[String: Any]])
            #expect(servers.first?["urls"] as? [String] == ["stun:127.0.0.1:3478"])
            let turn = try #require(servers.last)
            #expect(turn["urls"] as? [String] == ["turn:127.0.0.1:3478", "turns:127.0.0.1:5349"])
            let username = try #require(turn["username"] as? String)
            let parts = username.split(separator: ":")
            #expect(parts.last == "peer-a")
            let expiry = try #require(Int(parts.first ?? ""))
            #expect(abs(expiry - Int(Date().timeIntervalSince1970) - 600) <= 5)
            #expect(turn["credential"] as? String == RegistryServices.turnCredential(secret: "my-secret", username: username))
        }
    }
}
