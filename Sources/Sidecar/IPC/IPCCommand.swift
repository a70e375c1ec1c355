import Foundation

/// One line from the agent (UPSTREAM.md §3 plus CONTRACT.md §3): `{"type", "payload", "id"?}`.
struct IPCCommand {
    enum Kind {
        case hello(token: String)
        /// `message` is the MeshMessage as compact JSON text, sent on the DataChannel as is.
        case send(targetPeer: String, message: String)
        case broadcast(message: String)
        case listPeers
        case connect(targetPeer: String)
    }

    var kind: Kind
    /// The caller's `id`, kept as JSON text so acks echo it exactly (string or number).
    var id: String?

    /// Parses a line; anything malformed is an `IPCCommandError` naming what is wrong.
    init(line: some Collection<UInt8>) throws(IPCCommandError) {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw IPCCommandError.notAnObject
            }
            object = parsed
        } catch let error as IPCCommandError {
            throw error
        } catch {
            throw .badJSON
        }
        if let id = object["id"], !(id is NSNull) {
            guard id is String || id is NSNumber, let text = Self.compactJSON(id) else { throw .badField("id", "a string or a number") }
            self.id = text
        }
        guard let type = object["type"] as? String else { throw .badField("type", "a string") }
        let payload = object["payload"] as? [String: Any] ?? [:]

        func string(_ key: String) throws(IPCCommandError) -> String {
            guard let value = payload[key] as? String, !value.isEmpty else { throw .badField("payload.\(key)", "a non-empty string") }
            return value
        }
        func message() throws(IPCCommandError) -> String {
            guard let value = payload["message"] as? [String: Any], let text = Self.compactJSON(value) else {
                throw .badField("payload.message", "a JSON object (a MeshMessage)")
            }
            return text
        }

        switch type {
        case "hello": kind = .hello(token: payload["token"] as? String ?? "")
        case "send": kind = .send(targetPeer: try string("target_peer"), message: try message())
        case "broadcast": kind = .broadcast(message: try message())
        case "list_peers": kind = .listPeers
        case "connect": kind = .connect(targetPeer: try string("target_peer_id"))
        default: throw .unknownCommand(type)
        }
    }

    static func compactJSON(_ value: Any) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The `id` of a line that failed to parse as a command, if it has one, so its error can carry it.
    static func id(inMalformed line: some Collection<UInt8>) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let id = object["id"],
              id is String || id is NSNumber
        else { return nil }
        return compactJSON(id)
    }
}

enum IPCCommandError: Error, Equatable, CustomStringConvertible {
    case badJSON
    case notAnObject
    case badField(String, String)
    case unknownCommand(String)

    var description: String {
        switch self {
        case .badJSON: "the line is not valid JSON"
        case .notAnObject: "the line is not a JSON object"
        case .badField(let field, let expected): "\(field) must be \(expected)"
        case .unknownCommand(let type): "unknown command \"\(type)\" (expected send, broadcast, list_peers, connect or hello)"
        }
    }
}
