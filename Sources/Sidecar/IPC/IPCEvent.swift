#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line to the agent (UPSTREAM.md §3 plus CONTRACT.md §3), encoded as newline-terminated JSON.
enum IPCEvent: Sendable {
    /// `message` is the MeshMessage's JSON text exactly as it came off the DataChannel (already checked).
    case message(fromPeer: String, message: String)
    case peerConnected(String)
    case peerDisconnected(String)
    case peerList([String])
    case ack(id: String)
    case error(id: String?, String)

    var line: String {
        switch self {
        case .message(let peer, let message):
            #"{"type":"message","payload":{"from_peer":\#(Self.quoted(peer)),"message":\#(message)}}"# + "\n"
        case .peerConnected(let peer):
            #"{"type":"peer_connected","payload":{"peer_id":\#(Self.quoted(peer))}}"# + "\n"
        case .peerDisconnected(let peer):
            #"{"type":"peer_disconnected","payload":{"peer_id":\#(Self.quoted(peer))}}"# + "\n"
        case .peerList(let peers):
            #"{"type":"peer_list","payload":{"peers":[\#(peers.map(Self.quoted).joined(separator: ","))]}}"# + "\n"
        case .ack(let id):
            #"{"type":"ack","payload":{"id":\#(id)}}"# + "\n"
        case .error(let id, let text):
            #"{"type":"error","payload":{\#(id.map { #""id":\#($0),"# } ?? "")"error":\#(Self.quoted(text))}}"# + "\n"
        }
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        IPCCommand.compactJSON(text) ?? "\"\""
    }
}
