import Foundation
import MeshProtocol

/// Reads a streamed chat completion (`stream: true`): server-sent events whose `data:` lines carry
/// `chat.completion.chunk` objects, ended by `data: [DONE]`. Fed raw bytes as they arrive, it returns the text
/// deltas found so far and assembles the whole assistant message, tool calls included (whose `arguments`
/// arrive in pieces keyed by `index`). No I/O.
struct ChatCompletionStream {
    enum Problem: Error, Equatable {
        /// A `data:` line that is not a chunk, or an `{"error": ...}` sent mid-stream.
        case invalid(String)
    }

    private var pending: [UInt8] = []
    private var content = ""
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    /// `[DONE]` arrived.
    private(set) var finished = false

    /// Consumes `bytes`; returns the content deltas of the complete lines among them, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Problem) -> [String] {
        pending.append(contentsOf: bytes)
        var deltas: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            pending.removeSubrange(...newline)
            if let delta = try handle(line: text) { deltas.append(delta) }
        }
        return deltas
    }

    /// One SSE line: `data:` fields matter; comments (`:`), `event:`, `id:` and blank separators do not.
    private mutating func handle(line: String) throws(Problem) -> String? {
        guard line.hasPrefix("data:"), !finished else { return nil }
        let data = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
        if data == "[DONE]" {
            finished = true
            return nil
        }
        guard let chunk = try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)), case .object = chunk else {
            throw .invalid("a stream line is not JSON: \(data.prefix(200))")
        }
        if let error = chunk["error"] {
            throw .invalid(error["message"]?.stringValue ?? error.stringValue ?? "an error in the stream")
        }
        guard let delta = chunk["choices"]?.arrayValue?.first?["delta"] else { return nil }
        for call in delta["tool_calls"]?.arrayValue ?? [] {
            guard case .number(let position)? = call["index"] else { throw .invalid("a streamed tool call has no index") }
            let index = Int(position)
            var entry = calls[index] ?? (id: "", name: "", arguments: "")
            if let id = call["id"]?.stringValue, !id.isEmpty { entry.id = id }
            if let name = call["function"]?["name"]?.stringValue { entry.name += name }
            if let arguments = call["function"]?["arguments"]?.stringValue { entry.arguments += arguments }
            calls[index] = entry
        }
        guard let text = delta["content"]?.stringValue else { return nil }
        content += text
        return text.isEmpty ? nil : text
    }

    /// The assistant's message as a non-streamed completion would have carried it.
    var message: ChatMessage {
        let toolCalls = calls.keys.sorted().compactMap { index in calls[index].map { ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) } }
        return ChatMessage(role: "assistant", content: content.isEmpty && !toolCalls.isEmpty ? nil : content, toolCalls: toolCalls.isEmpty ? nil : toolCalls)
    }
}
