import Foundation
import MeshProtocol

/// A signaling frame from a sidecar, scanned but not decoded: the relay reads `type`, `peer_id` and
/// `target_id` and passes `payload` on as the sender's bytes, which is most of the relay's work saved.
struct SignalingFrame {
    let type: String
    let peerId: String
    let targetId: String?
    private let bytes: [UInt8]
    private let members: [String: Range<Int>]

    /// Nil unless `text` is a JSON object with string `type` and `peer_id`; `targetId` is nil unless a string.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        let scanned = bytes.withUnsafeBufferPointer { buffer -> (members: [String: Range<Int>], fields: [String?])? in
            guard let members = try? JSONScanner.members(of: buffer) else { return nil }
            return (members, ["type", "peer_id", "target_id"].map { key in members[key].flatMap { JSONScanner.string(in: buffer, range: $0) } })
        }
        guard let scanned, let type = scanned.fields[0], let peerId = scanned.fields[1] else { return nil }
        self.type = type
        self.peerId = peerId
        self.targetId = scanned.fields[2]
        self.bytes = bytes
        self.members = scanned.members
    }

    /// The frame as relayed: exactly the four upstream fields, in upstream order, with the sender's bytes.
    var relayed: String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        out.append(contentsOf: #"{"type":"#.utf8)
        out.append(contentsOf: bytes[members["type"]!])
        out.append(contentsOf: #","peer_id":"#.utf8)
        out.append(contentsOf: bytes[members["peer_id"]!])
        out.append(contentsOf: #","target_id":"#.utf8)
        out.append(contentsOf: targetId == nil ? ArraySlice("null".utf8) : bytes[members["target_id"]!])
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: members["payload"].map { bytes[$0] } ?? ArraySlice("null".utf8))
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `payload.connected_peers` of a `mesh_status` report, if it is an array (non-string entries ignored).
    var connectedPeers: [String]? {
        guard let range = members["payload"],
            let payload = try? JSONSerialization.jsonObject(with: Data(bytes[range])) as? [String: Any],
            let peers = payload["connected_peers"] as? [Any]
        else { return nil }
        return peers.compactMap { $0 as? String }
    }
}
