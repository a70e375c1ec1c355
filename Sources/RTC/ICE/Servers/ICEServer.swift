/// One entry of a WebRTC `iceServers` list, as the registry serves it at `GET /api/config`:
/// `{"urls": ["turn:203.0.113.5:3478?transport=udp"], "username": "...", "credential": "..."}`.
///
/// `urls` may also be a single string, as browsers accept. The text is kept as given; the ICE agent
/// parses it with ``ICEServerURL`` and skips what it cannot use.
public struct ICEServer: Sendable, Hashable, Codable {
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    private enum CodingKeys: String, CodingKey {
        case urls, username, credential
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let single = try? container.decode(String.self, forKey: .urls) {
            urls = [single]
        } else {
            urls = try container.decode([String].self, forKey: .urls)
        }
        username = try container.decodeIfPresent(String.self, forKey: .username)
        credential = try container.decodeIfPresent(String.self, forKey: .credential)
    }
}

/// Which local candidates ICE may use (the WebRTC `iceTransportPolicy`).
public enum ICETransportPolicy: String, Sendable, Hashable, Codable {
    /// Host, server-reflexive and relay candidates.
    case all
    /// Only relay candidates: the peer never learns our addresses and all traffic goes through TURN.
    case relay
}
