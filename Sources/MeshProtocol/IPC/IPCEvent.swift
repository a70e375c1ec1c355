#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// One line from the sidecar to its agent (UPSTREAM.md §3 plus CONTRACT.md §3): `{"type", "payload"}`.
/// The sidecar writes it (`line`), the agent parses it (`init(line:)`).
public enum IPCEvent: Sendable, Equatable {
    /// `message` is the MeshMessage's JSON text exactly as it came off the DataChannel (already checked).
    case message(fromPeer: String, message: String)
    case peerConnected(String)
    case peerDisconnected(String)
    case peerList([String])
    /// `id` is the command's `id` as JSON text, echoed exactly.
    case ack(id: String)
    case error(id: String?, String)
    /// An event type this side does not know, so newer sidecars can add some.
    case unknown(String)

    public var line: String {
        switch self {
        case .message(let peer, let message):
            Self.messageLineStart + IPCCommand.quoted(peer) + Self.messageLineMiddle + message + Self.messageLineEnd
        case .peerConnected(let peer):
            #"{"type":"peer_connected","payload":{"peer_id":\#(IPCCommand.quoted(peer))}}"# + "\n"
        case .peerDisconnected(let peer):
            #"{"type":"peer_disconnected","payload":{"peer_id":\#(IPCCommand.quoted(peer))}}"# + "\n"
        case .peerList(let peers):
            #"{"type":"peer_list","payload":{"peers":[\#(peers.map(IPCCommand.quoted).joined(separator: ","))]}}"# + "\n"
        case .ack(let id):
            #"{"type":"ack","payload":{"id":\#(id)}}"# + "\n"
        case .error(let id, let text):
            #"{"type":"error","payload":{\#(id.map { #""id":\#($0),"# } ?? "")"error":\#(IPCCommand.quoted(text))}}"# + "\n"
        case .unknown(let type):
            #"{"type":\#(IPCCommand.quoted(type)),"payload":{}}"# + "\n"
        }
    }

    /// A `message` line in three pieces around the peer (a JSON string) and the MeshMessage, so the sidecar can
    /// write one straight from the DataChannel's bytes (`writeMessageLine`).
    static let messageLineStart = #"{"type":"message","payload":{"from_peer":"#
    static let messageLineMiddle = #","message":"#
    static let messageLineEnd = "}}\n"

    /// Appends the `message` line `.message(fromPeer:message:).line` would be, from the peer's id already quoted
    /// (`IPCCommand.quoted`) and the MeshMessage's bytes, leaving out any raw line breaks in them (a checked JSON
    /// object can hold them only as whitespace between tokens).
    public static func writeMessageLine(quotedPeer: String, message: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeString(messageLineStart)
        buffer.writeString(quotedPeer)
        buffer.writeString(messageLineMiddle)
        if let base = message.baseAddress, memchr(base, 0x0A, message.count) != nil || memchr(base, 0x0D, message.count) != nil {
            buffer.writeBytes(message.lazy.filter { $0 != 0x0A && $0 != 0x0D })
        } else {
            buffer.writeBytes(message)
        }
        buffer.writeString(messageLineEnd)
    }

    /// Parses a line; a malformed one is an `IPCEventError` naming what is wrong. A `message`'s MeshMessage is
    /// kept as the line's own text.
    public init(line: some Collection<UInt8>) throws(IPCEventError) {
        let parsed = line.withContiguousBytes { Self.parse($0) }
        switch parsed {
        case .success(let event): self = event
        case .failure(let error): throw error
        }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<IPCEvent, IPCEventError> {
        guard let (members, nested) = try? JSONScanner.members(of: bytes, andOf: "payload") else { return .failure(.notAnObject) }
        let payload = nested ?? [:]
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        guard let typeRange = members["type"], let type = JSONScanner.string(in: bytes, range: typeRange) else {
            return .failure(.badField("type", "a string"))
        }
        func string(_ key: String) -> Result<String, IPCEventError> {
            guard let range = payload[key], let value = JSONScanner.string(in: bytes, range: range) else {
                return .failure(.badField("payload.\(key)", "a string"))
            }
            return .success(value)
        }
        /// An `id` as JSON text; `null` or absent is none.
        func id() -> String? {
            payload["id"].map(text).flatMap { $0 == "null" ? nil : $0 }
        }

        switch type {
        case "message":
            guard let range = payload["message"], bytes[range.lowerBound] == UInt8(ascii: "{") else {
                return .failure(.badField("payload.message", "a JSON object (a MeshMessage)"))
            }
            return string("from_peer").map { .message(fromPeer: $0, message: text(range)) }
        case "peer_connected":
            return string("peer_id").map { .peerConnected($0) }
        case "peer_disconnected":
            return string("peer_id").map { .peerDisconnected($0) }
        case "peer_list":
            guard let range = payload["peers"],
                let peers = try? JSONDecoder().decode([String].self, from: Data(UnsafeBufferPointer(rebasing: bytes[range])))
            else { return .failure(.badField("payload.peers", "an array of strings")) }
            return .success(.peerList(peers))
        case "ack":
            guard let id = id() else { return .failure(.badField("payload.id", "present")) }
            return .success(.ack(id: id))
        case "error":
            return .success(.error(id: id(), (try? string("error").get()) ?? "unknown error"))
        default:
            return .success(.unknown(type))
        }
    }
}

public enum IPCEventError: Error, Equatable, CustomStringConvertible {
    case notAnObject
    case badField(String, String)

    public var description: String {
        switch self {
        case .notAnObject: "the line is not a JSON object"
        case .badField(let field, let expected): "\(field) must be \(expected)"
        }
    }
}
