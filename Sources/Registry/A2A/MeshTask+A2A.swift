import Foundation
import MeshProtocol

/// A registry task seen as an A2A task: same id, states mapped, the request and answer as messages.
extension MeshTask {
    var a2aState: A2ATaskState {
        switch state {
        case .pending: .submitted
        case .assigned: .working
        case .completed: .completed
        case .failed: .failed
        case .canceled: .canceled
        case .inputRequired: .inputRequired
        case .rejected: .rejected
        }
    }

    /// The task's context: the A2A conversation it came in, else a context of its own.
    var a2aContextId: String { contextId ?? id }

    /// The submitter's message of the current turn, rebuilt from the task.
    var a2aRequest: A2AMessage {
        a2aRequest(payload, messageId: "\(id)-request")
    }

    /// A request rebuilt: a prompt's text, else the payload as a data part.
    private func a2aRequest(_ payload: JSONValue, messageId: String) -> A2AMessage {
        let parts: [A2APart]
        if case .object(let fields) = payload, fields.count == 1, let text = fields["message"]?.stringValue {
            parts = [A2APart(text: text)]
        } else {
            parts = [A2APart(data: payload)]
        }
        var metadata: [String: JSONValue] = [:]
        if !skill.isEmpty { metadata["skill"] = .string(skill) }
        if !targetAgentId.isEmpty { metadata["target_agent_id"] = .string(targetAgentId) }
        return A2AMessage(
            messageId: messageId, role: .user, parts: parts, contextId: a2aContextId, taskId: id,
            metadata: metadata.isEmpty ? nil : .object(metadata))
    }

    /// The agent's answer once the task is finished or asks for input: the result's words (its artifacts carry
    /// the rest), the question, or why it failed, was rejected or canceled.
    var a2aReply: A2AMessage? {
        switch state {
        case .completed: a2aReply([A2APart(text: A2AResult(result, taskId: id)?.text ?? result)], messageId: "\(id)-reply")
        case .inputRequired: a2aQuestion(result, messageId: "\(id)-reply")
        case .failed, .canceled, .rejected: a2aReply([A2APart(text: error)], messageId: "\(id)-reply")
        case .pending, .assigned: nil
        }
    }

    /// A request for input: its parts whole (they are the only place the question is), else the text.
    private func a2aQuestion(_ reply: String, messageId: String) -> A2AMessage {
        let parts = A2AResult(reply, taskId: id)?.artifacts.flatMap(\.parts) ?? []
        return a2aReply(parts.isEmpty ? [A2APart(text: reply)] : parts, messageId: messageId)
    }

    private func a2aReply(_ parts: [A2APart], messageId: String) -> A2AMessage {
        A2AMessage(messageId: messageId, role: .agent, parts: parts, contextId: a2aContextId, taskId: id)
    }

    var a2aStatus: A2ATaskStatus {
        A2ATaskStatus(state: a2aState, message: a2aReply, timestamp: Self.timestamp(updatedAt))
    }

    /// The result as artifacts, once completed: a structured result's (`A2AResult`), else the text as one.
    var a2aArtifacts: [A2AArtifact] {
        guard state == .completed else { return [] }
        return A2AResult(result, taskId: id)?.artifacts ?? [A2AArtifact(artifactId: "\(id)-result", name: "result", parts: [A2APart(text: result)])]
    }

    /// `historyLength`: nil for the whole history, 0 for none, n for the newest n messages.
    func a2a(historyLength: Int? = nil, includeArtifacts: Bool = true) -> A2ATask {
        var history = turns.enumerated().flatMap { index, turn in
            [a2aRequest(turn.request, messageId: "\(id)-request-\(index)"), a2aQuestion(turn.reply, messageId: "\(id)-reply-\(index)")]
        }
        history.append(a2aRequest)
        if let reply = a2aReply { history.append(reply) }
        if let historyLength { history = Array(history.suffix(max(0, historyLength))) }
        let artifacts = a2aArtifacts
        return A2ATask(
            id: id, contextId: a2aContextId, status: a2aStatus,
            artifacts: includeArtifacts && !artifacts.isEmpty ? artifacts : nil, history: history.isEmpty ? nil : history)
    }

    /// RFC 3339 in UTC with milliseconds, as A2A asks.
    static func timestamp(_ epochSeconds: Double) -> String {
        Date(timeIntervalSince1970: epochSeconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
