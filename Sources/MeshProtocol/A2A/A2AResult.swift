#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A skill's structured result, for A2A clients: `{"parts": [A2APart]}` (one artifact, "result") or
/// `{"artifacts": [{"name"?, "parts": [A2APart]}]}`, parts being text, data (any JSON) or files (`raw` base64
/// or `url`, with `mediaType` and `filename`). With `"state": "input_required"` the skill asks its submitter
/// for more (the parts are the question), with `"state": "rejected"` it refuses the task (the parts say why);
/// there `"message": "<text>"` may stand for one text part. A skill returns it as the JSON text of its
/// result (a Python handler by returning such a dict); any other result is plain text.
public struct A2AResult: Sendable, Hashable {
    public var artifacts: [A2AArtifact]
    /// `completed`, `inputRequired` or `rejected`.
    public var state: TaskState

    /// Nil unless `text` is a JSON object with a `parts` or `artifacts` array of valid parts, or a `state` of
    /// `input_required` or `rejected` (with parts, artifacts or a `message`, or nothing).
    public init?(_ text: String, taskId: String) {
        guard text.hasPrefix("{"), case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        func parts(_ value: JSONValue?) -> [A2APart]? {
            guard let value, let list = value.arrayValue, !list.isEmpty,
                let parts = try? JSONDecoder().decode([A2APart].self, from: JSONEncoder().encode(value)),
                parts.allSatisfy({ [$0.text != nil, $0.data != nil, $0.raw != nil, $0.url != nil].filter { $0 }.count == 1 })
            else { return nil }
            return parts
        }
        switch object["state"] {
        case nil, .string("completed")?: state = .completed
        case .string("input_required")?: state = .inputRequired
        case .string("rejected")?: state = .rejected
        default: return nil
        }
        if let single = parts(object["parts"]) {
            artifacts = [A2AArtifact(artifactId: "\(taskId)-result", name: "result", parts: single)]
        } else if let list = object["artifacts"]?.arrayValue, !list.isEmpty {
            var found: [A2AArtifact] = []
            for (index, entry) in list.enumerated() {
                guard let parts = parts(entry["parts"]) else { return nil }
                found.append(A2AArtifact(artifactId: "\(taskId)-\(index)", name: entry["name"]?.stringValue, parts: parts))
            }
            artifacts = found
        } else if state != .completed {
            artifacts = object["message"]?.stringValue.map { [A2AArtifact(artifactId: "\(taskId)-result", name: "result", parts: [A2APart(text: $0)])] } ?? []
        } else {
            return nil
        }
    }

    /// The text parts, for a reader that wants words: the task's status message.
    public var text: String {
        artifacts.flatMap(\.parts).compactMap(\.text).joined(separator: "\n")
    }
}

extension TaskUpdate {
    /// How an agent reports a skill's result: completed, unless it is a structured result asking for input
    /// (the result kept whole, for the question's parts) or rejecting the task (the reason as the error).
    public init(skillResult: String) {
        switch A2AResult(skillResult, taskId: "") {
        case let structured? where structured.state == .inputRequired: self.init(state: .inputRequired, result: skillResult)
        case let structured? where structured.state == .rejected: self.init(state: .rejected, error: structured.text)
        default: self.init(state: .completed, result: skillResult)
        }
    }
}
