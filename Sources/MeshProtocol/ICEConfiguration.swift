import ICE

/// `GET /api/config`'s answer: the STUN and TURN servers a sidecar should use, as the WebRTC
/// `iceServers` list (`{"iceServers": [{"urls": [...], "username": ..., "credential": ...}]}`).
public struct ICEConfiguration: Sendable, Hashable, Codable {
    public var iceServers: [ICEServer]

    public init(iceServers: [ICEServer]) {
        self.iceServers = iceServers
    }
}
