import MeshProtocol
import Crypto
import Synchronization

/// The API keys by hash, readable without a hop into the state actor: every request authenticates, so the
/// lookup must neither queue behind state changes nor cost more than a hash. The state actor writes it
/// whenever a key is stored, revoked or undone.
final class KeyIndex: Sendable {
    struct Entry: Sendable {
        let id: String
        let peerId: String
        let role: Role
        let revoked: Bool
    }

    private let entries = Mutex<(byHash: [String: Entry], liveIds: Set<String>)>(([:], []))

    func put(hash: String, _ entry: Entry) {
        entries.withLock { entries in
            entries.byHash[hash] = entry
            if entry.revoked { entries.liveIds.remove(entry.id) } else { entries.liveIds.insert(entry.id) }
        }
    }

    func remove(hash: String, id: String) {
        entries.withLock { entries in
            entries.byHash[hash] = nil
            entries.liveIds.remove(id)
        }
    }

    /// The key's entry, live or revoked.
    func entry(apiKey: String) -> Entry? {
        let hash = Self.sha256Hex(apiKey)
        return entries.withLock { $0.byHash[hash] }
    }

    func contains(hash: String) -> Bool {
        entries.withLock { $0.byHash[hash] != nil }
    }

    /// Whether a JWT minted from key `id` may still be used.
    func isLive(_ id: String) -> Bool {
        entries.withLock { $0.liveIds.contains(id) }
    }

    /// Lowercase hex of the SHA-256 of `text`.
    static func sha256Hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
