import MeshProtocol
import Foundation

/// One entry of api_keys.json: the principal a key stands for.
public typealias APIKeyEntry = Principal

/// `{"keys": {"<key>": {"peer_id": "...", "role": "admin|agent|hub"}}}`. A key may be written as
/// `sha256:<hex of its SHA-256>` instead, so the file holds no secret at all.
struct APIKeyFile: Decodable {
    static let hashPrefix = "sha256:"

    var keys: [String: APIKeyEntry]

    /// Parses the file, naming exactly what is wrong when it is not usable.
    static func load(path: String) throws(ConfigurationError) -> [String: APIKeyEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read API keys file '\(path)'; create it or pass --api-keys FILE (or use --dev)")
        }
        let file: APIKeyFile
        do {
            file = try JSONDecoder().decode(APIKeyFile.self, from: data)
        } catch {
            throw ConfigurationError(
                "API keys file '\(path)' is malformed: expected {\"keys\": {\"<key>\": {\"peer_id\": \"...\", \"role\": \"admin|agent|hub\"}}} (\(error))"
            )
        }
        for (key, entry) in file.keys {
            if key.hasPrefix(hashPrefix) {
                let hex = key.dropFirst(hashPrefix.count)
                guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                    throw ConfigurationError("API key for '\(entry.peerId)' in '\(path)' starts with sha256: but is not followed by 64 hex digits")
                }
            } else if key.count < 8 { throw ConfigurationError("API key for '\(entry.peerId)' in '\(path)' is shorter than 8 characters") }
            if entry.peerId.isEmpty { throw ConfigurationError("API key entry in '\(path)' has an empty peer_id") }
        }
        if file.keys.isEmpty { throw ConfigurationError("API keys file '\(path)' defines no keys") }
        return file.keys
    }

    /// The hex SHA-256 a key is stored under: the key's own, or the one a `sha256:` entry names.
    static func hash(ofEntry key: String) -> String {
        key.hasPrefix(hashPrefix) ? key.dropFirst(hashPrefix.count).lowercased() : KeyIndex.sha256Hex(key)
    }
}
