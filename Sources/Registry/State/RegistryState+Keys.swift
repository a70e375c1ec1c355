import Foundation
import MeshProtocol

/// An API key as persisted: only its SHA-256 hash, never the key.
struct StoredAPIKey: Codable, Sendable, Hashable {
    /// Public handle for listing and revoking (`key_` + 8 hex digits).
    var id: String
    var hash: String
    var peerId: String
    var role: Role
    var label: String
    /// `file` for keys bootstrapped from the keys file, `api` for keys an admin created.
    var source: String
    var createdAt: Double
    var revokedAt: Double?
}

/// A key as the API lists it.
public struct APIKeyInfo: Codable, Sendable, Hashable {
    public var id: String
    public var peerId: String
    public var role: Role
    public var label: String
    public var source: String
    public var createdAt: Double
    public var revoked: Bool

    enum CodingKeys: String, CodingKey {
        case id, peerId = "peer_id", role, label, source, createdAt = "created_at", revoked
    }
}

extension RegistryState {
    /// Keys the registry creates: `ak_` and 40 random hex digits (160 bits).
    static func newAPIKey() -> String { "ak_" + randomHex(bytes: 20) }

    /// Stores the keys file's keys that the database does not know yet (by hash): the file bootstraps the
    /// database, and a key revoked through the API stays revoked even while the file still lists it.
    /// Runs at start-up, before the journal's writer, so it writes to `store` directly.
    /// A file key's id follows from its hash, so replicas starting together store it once (one of them
    /// loses the race, takes the winner's record and goes on).
    func bootstrap(fileKeys: [String: APIKeyEntry], using store: any RegistryStore) async throws {
        var mutations: [StoreMutation] = []
        for (key, entry) in fileKeys.sorted(by: { $0.key < $1.key }) {
            let hash = APIKeyFile.hash(ofEntry: key)
            guard !keyIndex.contains(hash: hash) else { continue }
            let derived = "key_" + Self.sha256Hex("key id of " + hash).prefix(8)
            let stored = StoredAPIKey(
                id: apiKeys[derived] == nil ? derived : newKeyId(), hash: hash, peerId: entry.peerId, role: entry.role, label: "keys file",
                source: "file", createdAt: clock(), revokedAt: nil)
            index(stored)
            mutations.append(.put(.apiKey, id: stored.id, body: JSONEncoder.body(stored)))
        }
        do {
            try await store.apply(journal.stamp(mutations))
        } catch let conflict as StoreConflict {
            try await reload(Set(mutations.map(\.key)).union(conflict.keys))
            return try await bootstrap(fileKeys: fileKeys, using: store)
        }
        let short = fileKeys.filter { $0.key.count < 32 && !$0.key.hasPrefix(APIKeyFile.hashPrefix) }.map(\.value.peerId).sorted()
        metrics.shortAPIKeys.set(Double(short.count))
        for peerId in short {
            logger.warning("an API key in the keys file is shorter than 32 characters; replace it with one from POST /api/keys", metadata: ["peer_id": "\(peerId)"])
        }
    }

    private func newKeyId() -> String {
        var id: String
        repeat { id = "key_" + randomHex(bytes: 4) } while apiKeys[id] != nil
        return id
    }

    func index(_ key: StoredAPIKey) {
        apiKeys[key.id] = key
        keyIndex.put(hash: key.hash, KeyIndex.Entry(id: key.id, peerId: key.peerId, role: key.role, revoked: key.revokedAt != nil))
    }

    /// Whether some live key or approved pairing has `peerId` as its subject.
    func isCredentialSubject(_ peerId: String) -> Bool {
        apiKeys.values.contains { $0.peerId == peerId && $0.revokedAt == nil } || pairingByPeerId[peerId] != nil
    }

    public func listAPIKeys() -> [APIKeyInfo] {
        apiKeys.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map {
            APIKeyInfo(id: $0.id, peerId: $0.peerId, role: $0.role, label: $0.label, source: $0.source, createdAt: $0.createdAt, revoked: $0.revokedAt != nil)
        }
    }

    /// Admin: a new key for `peerId` with `role`; the key itself is returned here only.
    public func createAPIKey(peerId: String, role: Role, label: String, by identity: Identity) async throws -> (APIKeyInfo, key: String) {
        try identity.requireAdmin()
        try Self.validateAgentId(peerId)
        guard label.count <= 200 else { throw APIError.badRequest("label is longer than 200 characters") }
        let key = Self.newAPIKey()
        let stored = StoredAPIKey(
            id: newKeyId(), hash: Self.sha256Hex(key), peerId: peerId, role: role, label: label, source: "api", createdAt: clock(), revokedAt: nil)
        index(stored)
        try await persist([.put(.apiKey, id: stored.id, body: JSONEncoder.body(stored))])
        logger.notice("API key created", metadata: ["key_id": "\(stored.id)", "peer_id": "\(peerId)", "role": "\(role.rawValue)", "by": "\(identity.peerId)"])
        return (listAPIKeys().first { $0.id == stored.id }!, key)
    }

    /// Admin: revokes a key; it and every JWT minted from it stop working at once. Returns the key's subject.
    public func revokeAPIKey(_ id: String, by identity: Identity) async throws -> String {
        try identity.requireAdmin()
        guard var key = apiKeys[id] else { throw APIError.notFound("API key '\(id)' not found") }
        guard key.revokedAt == nil else { throw APIError.conflict("API key '\(id)' is already revoked") }
        key.revokedAt = clock()
        index(key)
        try await persist([.put(.apiKey, id: id, body: JSONEncoder.body(key))])
        logger.notice("API key revoked", metadata: ["key_id": "\(id)", "peer_id": "\(key.peerId)", "by": "\(identity.peerId)"])
        return key.peerId
    }
}
