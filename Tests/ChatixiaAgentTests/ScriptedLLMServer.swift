import Foundation
import Hummingbird
import Logging
import MeshProtocol

/// The only stand-in in these tests: an OpenAI-compatible chat-completions server that answers from a script
/// and records every request, so tests can check the real bodies our client sends.
actor ScriptedLLMServer {
    struct Reply: Sendable {
        var status: HTTPResponse.Status = .ok
        var headers: [String: String] = [:]
        var body: String
        var delay: Duration = .zero
        /// Server-sent events (`data:` payloads) sent one by one, `delay` apart, instead of `body`.
        var events: [String]?

        /// A normal completion with the assistant's `message` (JSON text).
        static func message(_ message: String) -> Reply {
            Reply(body: #"{"id":"c","object":"chat.completion","choices":[{"index":0,"message":\#(message),"finish_reason":"stop"}]}"#)
        }

        static func text(_ content: String) -> Reply {
            let quoted = String(decoding: try! JSONEncoder().encode(content), as: UTF8.self)
            return message(#"{"role":"assistant","content":\#(quoted)}"#)
        }

        /// A streamed completion: `pieces` of text as `chat.completion.chunk` deltas, then `[DONE]`, `gap` apart.
        static func streamed(_ pieces: [String], gap: Duration = .zero) -> Reply {
            let chunks = pieces.map { piece in
                let quoted = String(decoding: try! JSONEncoder().encode(piece), as: UTF8.self)
                return #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\#(quoted)},"finish_reason":null}]}"#
            }
            let first = #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
            let last = #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            return Reply(body: "", delay: gap, events: [first] + chunks + [last, "[DONE]"])
        }

        static func toolCall(id: String, name: String, arguments: String) -> Reply {
            let quoted = String(decoding: try! JSONEncoder().encode(arguments), as: UTF8.self)
            return message(#"{"role":"assistant","content":null,"tool_calls":[{"id":"\#(id)","type":"function","function":{"name":"\#(name)","arguments":\#(quoted)}}]}"#)
        }
    }

    struct Recorded: Sendable {
        var path: String
        var query: String
        var headers: [String: String]
        var body: JSONValue
    }

    private var script: [Reply]
    /// Answered once the script is used up.
    private let fallback: Reply?
    private(set) var requests: [Recorded] = []

    init(_ script: [Reply], thenAlways fallback: Reply? = nil) {
        self.script = script
        self.fallback = fallback
    }

    func next(_ request: Recorded) -> Reply {
        requests.append(request)
        if !script.isEmpty { return script.removeFirst() }
        return fallback ?? Reply(status: .internalServerError, body: #"{"error":{"message":"the test script ran out"}}"#)
    }

    /// Serves the script on 127.0.0.1 while `body` runs; `body` gets the base URL (`http://127.0.0.1:PORT/v1`).
    func serve(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 16 << 20)
            let parsed = (try? JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: bytes).utf8))) ?? .null
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let reply = await self.next(Recorded(path: request.uri.path, query: request.uri.query ?? "", headers: headers, body: parsed))
            if let events = reply.events {
                let body = ResponseBody { writer in
                    for event in events {
                        try await writer.write(ByteBuffer(string: "data: \(event)\n\n"))
                        if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
                    }
                    try await writer.finish(nil)
                }
                return Response(status: reply.status, headers: [.contentType: "text/event-stream"], body: body)
            }
            if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            for (name, value) in reply.headers { fields[.init(name)!] = value }
            return Response(status: reply.status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        var logger = Logger(label: "scripted-llm")
        logger.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            defer { group.cancelAll() }
            try await body("http://127.0.0.1:\(port)/v1")
        }
    }
}
