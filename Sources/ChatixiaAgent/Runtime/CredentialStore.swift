import Foundation
import MeshProtocol

/// The agent's private state in `data_dir`: the device token from pairing (0600) and the pairing record.
public struct CredentialStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public var deviceTokenFile: URL { directory.appendingPathComponent("device_token") }
    public var pairingFile: URL { directory.appendingPathComponent("pairing.json") }
    public var pendingPairingFile: URL { directory.appendingPathComponent("pairing_pending.json") }

    /// The stored device token, if pairing completed.
    public func deviceToken() -> String? {
        guard let text = try? String(contentsOf: deviceTokenFile, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Writes the device token readable by the owner only (the directory is 0700 too).
    public func store(deviceToken: String) throws {
        try writePrivately(Data((deviceToken + "\n").utf8), to: deviceTokenFile)
    }

    /// The pairing record in upstream's shape (`entry_id`, `peer_id`, `status`, `registry`), never holding the token.
    public struct PairingRecord: Codable, Equatable, Sendable {
        public var entryId: String
        public var peerId: String
        public var status: PairingStatus
        public var registry: String

        public init(entryId: String, peerId: String, status: PairingStatus, registry: String) {
            self.entryId = entryId
            self.peerId = peerId
            self.status = status
            self.registry = registry
        }

        enum CodingKeys: String, CodingKey { case entryId = "entry_id", peerId = "peer_id", status, registry }
    }

    public func store(pairing: PairingRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writePrivately(try encoder.encode(pairing), to: pairingFile)
    }

    public func pairing() -> PairingRecord? {
        guard let data = try? Data(contentsOf: pairingFile) else { return nil }
        return try? JSONDecoder().decode(PairingRecord.self, from: data)
    }

    /// A redeemed request still waiting for approval: what it takes to go on waiting after an interruption,
    /// since a code cannot be redeemed twice. Owner-only, like the token: its claim secret collects it.
    public struct PendingPairing: Codable, Equatable, Sendable {
        public var code: String
        public var registry: String
        public var entryId: String
        public var peerId: String
        public var claimSecret: String

        enum CodingKeys: String, CodingKey { case code, registry, entryId = "entry_id", peerId = "peer_id", claimSecret = "claim_secret" }
    }

    public func store(pending: PendingPairing) throws {
        try writePrivately(try JSONEncoder().encode(pending), to: pendingPairingFile)
    }

    public func pendingPairing() -> PendingPairing? {
        guard let data = try? Data(contentsOf: pendingPairingFile) else { return nil }
        return try? JSONDecoder().decode(PendingPairing.self, from: data)
    }

    /// Forgets the pending request once it has an outcome.
    public func removePendingPairing() {
        try? FileManager.default.removeItem(at: pendingPairingFile)
    }

    func writePrivately(_ data: Data, to file: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Create with 0600 before writing, so the secret is never readable by others even briefly.
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        guard rename(temporary.path, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path, NSLocalizedDescriptionKey: reason])
        }
    }
}

/// Which credential an agent uses, for the registry and its sidecar alike (upstream used different keys for the two).
public enum CredentialResolution {
    public struct Missing: Error, CustomStringConvertible {
        public let dataDirectory: URL
        public var description: String {
            "no credential: pair this agent with `chatixia pair CODE` (the device token goes to \(dataDirectory.path)), "
                + "or set API_KEY in .env or sidecar.api_key in agent.yaml"
        }
    }

    /// A paired device token first, then `DEVICE_TOKEN`, `API_KEY`, and `sidecar.api_key`. Never a default key.
    public static func resolve(manifest: Manifest, environment: [String: String]) throws -> RegistryCredential {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let token = CredentialStore(directory: manifest.dataDirectory).deviceToken() { return .deviceToken(token) }
        if let token = value("DEVICE_TOKEN") { return .deviceToken(token) }
        if let key = value("API_KEY") { return .apiKey(key) }
        if let key = manifest.sidecar.apiKey { return .apiKey(key) }
        throw Missing(dataDirectory: manifest.dataDirectory)
    }
}
