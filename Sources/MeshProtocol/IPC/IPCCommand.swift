#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line from the agent to its sidecar (UPSTREAM.md §3 plus CONTRACT.md §3): `{"type", "payload", "id"?}`.
/// The sidecar parses it (`init(line:)`), the agent writes it (`line`).
public struct IPCCommand: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case hello(token: String)
        /// `message` is the MeshMessage as compact JSON text, sent on the DataChannel as is.
        case send(targetPeer: String, message: String)
        case broadcast(message: String)
        case listPeers
        case connect(targetPeer: String)

        /// The command's `type` on the wire.
        public var name: String {
            switch self {
            case .hello: "hello"
            case .send: "send"
            case .broadcast: "broadcast"
            case .listPeers: "list_peers"
            case .connect: "connect"
            }
        }
    }

    public var kind: Kind
    /// The caller's `id`, kept as JSON text so acks echo it exactly (string or number).
    public var id: String?

    /// Parses a line; anything malformed is an `IPCCommandError` naming what is wrong. The MeshMessage
    /// of a `send` or `broadcast` is checked and kept as the line's own bytes, never re-encoded.
    public init(line: some Collection<UInt8>) throws(IPCCommandError) {
        let parsed = line.withContiguousBytes { Self.parse($0) }
        switch parsed {
        case .success(let command): self = command
        case .failure(let error): throw error
        }
    }

    public init(kind: Kind, id: String? = nil) {
        self.kind = kind
        self.id = id
    }

    /// The command as one newline-terminated line. A `send` or `broadcast` carries its MeshMessage text as is,
    /// so it must be compact JSON without line breaks (as `JSONEncoder` writes it).
    public var line: String {
        let payload: String
        switch kind {
        case .hello(let token): payload = #"{"token":\#(Self.quoted(token))}"#
        case .send(let target, let message): payload = #"{"target_peer":\#(Self.quoted(target)),"message":\#(message)}"#
        case .broadcast(let message): payload = #"{"message":\#(message)}"#
        case .listPeers: payload = "{}"
        case .connect(let target): payload = #"{"target_peer_id":\#(Self.quoted(target))}"#
        }
        return #"{"type":"\#(kind.name)",\#(id.map { #""id":\#($0),"# } ?? "")"payload":\#(payload)}"# + "\n"
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<IPCCommand, IPCCommandError> {
        let members: [String: Range<Int>], payload: [String: Range<Int>]
        do {
            let scanned = try JSONScanner.members(of: bytes, andOf: "payload")
            (members, payload) = (scanned.members, scanned.nested ?? [:])
        } catch {
            // Valid JSON that is not an object deserves the more precise message.
            let isJSON = (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) != nil
            return .failure(isJSON ? .notAnObject : .badJSON)
        }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        func starts(_ range: Range<Int>, with byte: UInt8) -> Bool { bytes[range.lowerBound] == byte }

        var id: String?
        if let range = members["id"], text(range) != "null" {
            let first = bytes[range.lowerBound]
            guard first == UInt8(ascii: "\"") || first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
                return .failure(.badField("id", "a string or a number"))
            }
            id = text(range)
        }
        guard let typeRange = members["type"], let type = JSONScanner.string(in: bytes, range: typeRange) else {
            return .failure(.badField("type", "a string"))
        }
        func string(_ key: String) -> Result<String, IPCCommandError> {
            guard let range = payload[key], let value = JSONScanner.string(in: bytes, range: range), !value.isEmpty else {
                return .failure(.badField("payload.\(key)", "a non-empty string"))
            }
            return .success(value)
        }
        func message() -> Result<String, IPCCommandError> {
            guard let range = payload["message"], starts(range, with: UInt8(ascii: "{")) else {
                return .failure(.badField("payload.message", "a JSON object (a MeshMessage)"))
            }
            return .success(text(range))
        }

        let kind: Result<Kind, IPCCommandError>
        switch type {
        case "hello":
            kind = .success(.hello(token: payload["token"].flatMap { JSONScanner.string(in: bytes, range: $0) } ?? ""))
        case "send":
            kind = string("target_peer").flatMap { target in message().map { .send(targetPeer: target, message: $0) } }
        case "broadcast":
            kind = message().map { .broadcast(message: $0) }
        case "list_peers":
            kind = .success(.listPeers)
        case "connect":
            kind = string("target_peer_id").map { .connect(targetPeer: $0) }
        default:
            kind = .failure(.unknownCommand(type))
        }
        return kind.map { IPCCommand(kind: $0, id: id) }
    }

    /// `value` as compact JSON text (slashes unescaped, as upstream writes them).
    public static func compactJSON(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The `id` of a line that failed to parse as a command, if it has one, so its error can carry it.
    public static func id(inMalformed line: some Collection<UInt8>) -> String? {
        guard let id = (try? JSONDecoder().decode(JSONValue.self, from: Data(line)))?["id"], id.stringValue != nil || id.numberValue != nil
        else { return nil }
        return compactJSON(id)
    }

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        compactJSON(text) ?? "\"\""
    }
}

public enum IPCCommandError: Error, Equatable, CustomStringConvertible {
    case badJSON
    case notAnObject
    case badField(String, String)
    case unknownCommand(String)

    public var description: String {
        switch self {
        case .badJSON: "the line is not valid JSON"
        case .notAnObject: "the line is not a JSON object"
        case .badField(let field, let expected): "\(field) must be \(expected)"
        case .unknownCommand(let type): "unknown command \"\(type)\" (expected send, broadcast, list_peers, connect or hello)"
        }
    }
}
