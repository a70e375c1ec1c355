/// A frame on the registry's signaling WebSocket (`/ws`): `{"type", "peer_id", "target_id"?, "payload"}`,
/// its type and payload read together as one typed `SignalingBody`.
public struct SignalingMessage: Sendable, Hashable, Codable {
    public var peerId: String
    public var targetId: String?
    public var body: SignalingBody

    public init(peerId: String, targetId: String? = nil, _ body: SignalingBody) {
        self.peerId = peerId
        self.targetId = targetId
        self.body = body
    }

    public var type: SignalingType { body.type }

    enum CodingKeys: String, CodingKey {
        case type
        case peerId = "peer_id"
        case targetId = "target_id"
        case payload
    }

    /// Fails on a frame without a string `type` and `peer_id`, or whose payload lacks what its type needs.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = SignalingType(rawValue: try container.decode(String.self, forKey: .type))
        peerId = try container.decode(String.self, forKey: .peerId)
        targetId = try container.decodeIfPresent(String.self, forKey: .targetId)
        let payload = try container.decodeIfPresent(JSONValue.self, forKey: .payload) ?? .null
        guard let body = SignalingBody(type: type, payload: payload) else {
            throw DecodingError.dataCorruptedError(forKey: .payload, in: container, debugDescription: "\(type.rawValue) payload lacks its fields")
        }
        self.body = body
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(peerId, forKey: .peerId)
        try container.encodeIfPresent(targetId, forKey: .targetId)
        try container.encode(body.payload, forKey: .payload)
    }
}

/// Signaling message types: upstream's plus our additive ones; others pass through as `unknown`.
public enum SignalingType: OpenWireEnum {
    case register, peerList, offer, answer, iceCandidate, heartbeat, peerJoined, peerLeft, meshStatus, error
    case unknown(String)

    public static let knownCases: [SignalingType] = [
        .register, .peerList, .offer, .answer, .iceCandidate, .heartbeat, .peerJoined, .peerLeft, .meshStatus, .error,
    ]

    public var rawValue: String {
        switch self {
        case .register: "register"
        case .peerList: "peer_list"
        case .offer: "offer"
        case .answer: "answer"
        case .iceCandidate: "ice_candidate"
        case .heartbeat: "heartbeat"
        case .peerJoined: "peer_joined"
        case .peerLeft: "peer_left"
        case .meshStatus: "mesh_status"
        case .error: "error"
        case .unknown(let name): name
        }
    }

    /// Types the registry relays unchanged to `target_id`.
    public var isRelayed: Bool { self == .offer || self == .answer || self == .iceCandidate }
}

/// What a signaling frame says, by type (UPSTREAM.md §2): `{"sdp"}` for offers and answers,
/// `{"candidate", "sdpMid", "sdpMLineIndex"}` for trickled candidates, `{"peers"}`, `{"peer_id"}`,
/// `{"connected_peers"}` and `{"error"}` for the registry's frames and reports.
public enum SignalingBody: Sendable, Hashable {
    case register
    case heartbeat
    case peerList([String])
    case peerJoined(String)
    case peerLeft(String)
    case offer(sdp: String)
    case answer(sdp: String)
    /// An empty `candidate` ends the trickle.
    case iceCandidate(candidate: String, sdpMid: String?, sdpMLineIndex: Int?)
    case meshStatus(connectedPeers: [String])
    case error(String)
    case unknown(SignalingType, JSONValue)

    public var type: SignalingType {
        switch self {
        case .register: .register
        case .heartbeat: .heartbeat
        case .peerList: .peerList
        case .peerJoined: .peerJoined
        case .peerLeft: .peerLeft
        case .offer: .offer
        case .answer: .answer
        case .iceCandidate: .iceCandidate
        case .meshStatus: .meshStatus
        case .error: .error
        case .unknown(let type, _): type
        }
    }

    /// Reads `payload` as `type` says; nil when it lacks a field the type needs. Lists keep only their string
    /// entries; a list or candidate that is missing reads as empty, as upstream's sidecar reads them.
    public init?(type: SignalingType, payload: JSONValue) {
        func strings(_ key: String) -> [String]? { payload[key]?.arrayValue.map { $0.compactMap(\.stringValue) } }
        switch type {
        case .register: self = .register
        case .heartbeat: self = .heartbeat
        case .peerList: self = .peerList(strings("peers") ?? [])
        case .peerJoined, .peerLeft:
            guard let peer = payload["peer_id"]?.stringValue else { return nil }
            self = type == .peerJoined ? .peerJoined(peer) : .peerLeft(peer)
        case .offer, .answer:
            guard let sdp = payload["sdp"]?.stringValue else { return nil }
            self = type == .offer ? .offer(sdp: sdp) : .answer(sdp: sdp)
        case .iceCandidate:
            self = .iceCandidate(
                candidate: payload["candidate"]?.stringValue ?? "", sdpMid: payload["sdpMid"]?.stringValue,
                sdpMLineIndex: payload["sdpMLineIndex"]?.numberValue.map { Int($0) })
        case .meshStatus:
            guard let peers = strings("connected_peers") else { return nil }
            self = .meshStatus(connectedPeers: peers)
        case .error: self = .error(payload["error"]?.stringValue ?? "")
        case .unknown: self = .unknown(type, payload)
        }
    }

    /// The `payload` member on the wire.
    public var payload: JSONValue {
        func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        switch self {
        case .register, .heartbeat: return .null
        case .peerList(let peers): return .object(["peers": strings(peers)])
        case .peerJoined(let peer), .peerLeft(let peer): return .object(["peer_id": .string(peer)])
        case .offer(let sdp), .answer(let sdp): return .object(["sdp": .string(sdp)])
        case .iceCandidate(let candidate, let mid, let index):
            var fields: [String: JSONValue] = ["candidate": .string(candidate)]
            if let mid { fields["sdpMid"] = .string(mid) }
            if let index { fields["sdpMLineIndex"] = .number(Double(index)) }
            return .object(fields)
        case .meshStatus(let peers): return .object(["connected_peers": strings(peers)])
        case .error(let message): return .object(["error": .string(message)])
        case .unknown(_, let payload): return payload
        }
    }
}
