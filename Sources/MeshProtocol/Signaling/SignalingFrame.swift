#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A signaling frame from a sidecar, scanned but not decoded: the registry's relay reads `type`, `peer_id` and
/// `target_id` and passes `payload` on as the sender's bytes, which is most of the relay's work saved.
public struct SignalingFrame {
    public let type: SignalingType
    public let peerId: String
    public let targetId: String?
    private let bytes: [UInt8]
    private let members: [String: Range<Int>]

    /// Nil unless `text` is a JSON object with string `type` and `peer_id`; `targetId` is nil unless a string.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let scanned = bytes.withUnsafeBufferPointer { buffer -> (members: [String: Range<Int>], fields: [String?])? in
            guard let members = try? JSONScanner.members(of: buffer) else { return nil }
            return (members, ["type", "peer_id", "target_id"].map { key in members[key].flatMap { JSONScanner.string(in: buffer, range: $0) } })
        }
        guard let scanned, let type = scanned.fields[0], let peerId = scanned.fields[1] else { return nil }
        self.type = SignalingType(rawValue: type)
        self.peerId = peerId
        self.targetId = scanned.fields[2]
        self.bytes = bytes
        self.members = scanned.members
    }

    /// The frame as relayed: exactly the four upstream fields, in upstream order, with the sender's bytes.
    public var relayed: String {
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

    /// The payload read as the frame's type says (`SignalingBody`); nil when it lacks what the type needs.
    /// Only frames the registry acts on itself are read this way; relayed ones stay bytes.
    public var body: SignalingBody? {
        let payload = members["payload"].flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data(bytes[$0])) } ?? .null
        return SignalingBody(type: type, payload: payload)
    }
}
