/// A frame on the registry's signaling WebSocket (`/ws`): `{"type", "peer_id", "target_id"?, "payload"}`.
public struct SignalingMessage: Sendable, Hashable, Codable {
    public var type: String
    public var peerId: String
    public var targetId: String?
    public var payload: JSONValue

    public init(type: String, peerId: String, targetId: String? = nil, payload: JSONValue = .null) {
        self.type = type
        self.peerId = peerId
        self.targetId = targetId
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case type
        case peerId = "peer_id"
        case targetId = "target_id"
        case payload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        peerId = try container.decode(String.self, forKey: .peerId)
        targetId = try container.decodeIfPresent(String.self, forKey: .targetId)
        payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(peerId, forKey: .peerId)
        try container.encodeIfPresent(targetId, forKey: .targetId)
        try container.encode(payload, forKey: .payload)
    }
}

/// Signaling message types: upstream's plus our additive ones.
public enum SignalingType {
    public static let register = "register"
    public static let peerList = "peer_list"
    public static let offer = "offer"
    public static let answer = "answer"
    public static let iceCandidate = "ice_candidate"
    public static let heartbeat = "heartbeat"
    public static let peerJoined = "peer_joined"
    public static let peerLeft = "peer_left"
    public static let meshStatus = "mesh_status"
    public static let error = "error"

    /// Types the registry relays unchanged to `target_id`.
    public static let relayed: Set<String> = [offer, answer, iceCandidate]
}
