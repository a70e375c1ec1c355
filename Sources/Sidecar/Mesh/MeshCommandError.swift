/// Why an agent's command failed; the text goes back to the agent in an `error` line.
enum MeshCommandError: Error, CustomStringConvertible {
    case unknownPeer(String)
    case notConnected(String)
    case sendFailed(String, String)
    case ownPeer

    var description: String {
        switch self {
        case .unknownPeer(let peer): "unknown peer \(peer): it is not connected to the registry's signaling"
        case .notConnected(let peer): "no open DataChannel to \(peer) (yet)"
        case .sendFailed(let peer, let why): "sending to \(peer) failed: \(why)"
        case .ownPeer: "that is this sidecar's own peer id"
        }
    }
}
