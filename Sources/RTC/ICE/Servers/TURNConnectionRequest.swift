import STUN

/// A TCP or TLS connection to a TURN server that the ICE agent needs its owner to open (from a
/// `turn:…?transport=tcp` or `turns:` URL). The owner connects from `localIP`, then reports the
/// outcome with `ICEAgent.connectionOpened(_:socket:now:)` or `connectionFailed(_:now:)`, writes what
/// the agent sends to that socket into the stream, and feeds back each message it reads.
public struct TURNConnectionRequest: Sendable, Hashable {
    /// Names this request in the agent's answers.
    public let id: Int
    public let server: TransportAddress
    /// The host as the URL gave it: what a TLS certificate must name.
    public let serverName: String
    public let usesTLS: Bool
    /// The host candidate whose interface the connection should leave from.
    public let localIP: IPAddress
}
