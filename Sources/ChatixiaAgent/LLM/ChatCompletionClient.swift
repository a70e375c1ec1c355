import AsyncHTTPClient
import Foundation
import Logging
import MeshProtocol
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Calls an OpenAI-compatible chat-completions endpoint, whole or streamed; retries 429 and 5xx answers,
/// honouring `Retry-After`.
public struct ChatCompletionClient: Sendable {
    public let configuration: LLMConfiguration
    let http: HTTPClient
    let logger: Logger
    /// Retries after the first attempt for 429 and 5xx answers.
    let maxRetries: Int

    public init(configuration: LLMConfiguration, http: HTTPClient = .shared, logger: Logger, maxRetries: Int = 3) {
        self.configuration = configuration
        self.http = http
        self.logger = logger
        self.maxRetries = maxRetries
    }

    /// A text delta of a streamed reply, as it arrives.
    public typealias DeltaHandler = @Sendable (String) async -> Void

    /// One completion: the assistant's next message. With `onDelta`, the reply is streamed (`stream: true`)
    /// and each piece of its text is handed over as it arrives; the message returned is the same either way.
    public func complete(_ messages: [ChatMessage], tools: [JSONValue], onDelta: DeltaHandler? = nil) async throws -> ChatMessage {
        let request = ChatCompletionRequest(model: configuration.model, messages: messages, tools: tools.isEmpty ? nil : tools, stream: onDelta == nil ? nil : true)
        let body = try JSONEncoder().encode(request)
        var attempt = 0
        while true {
            let (status, headers, data) = try await post(body) { response in
                // A server that ignores `stream` answers one JSON completion: read it whole, as one delta.
                let isStream = response.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") ?? false
                if let onDelta, isStream { return try await self.readStream(response, onDelta: onDelta) }
                var buffer = try await response.body.collect(upTo: 32 << 20)
                let message = try self.decode(buffer.readData(length: buffer.readableBytes) ?? Data())
                if let onDelta, let text = message.content, !text.isEmpty { await onDelta(text) }
                return message
            }
            if let message = data.message { return message }
            let message = Self.errorMessage(data.errorBody)
            let retryable = status == 429 || (500...599).contains(status)
            guard retryable, attempt < maxRetries else {
                switch status {
                case 401, 403: throw LLMError.unauthorized(provider: configuration.provider, status: status, message: message)
                case 429: throw LLMError.rateLimited(provider: configuration.provider, message: message)
                default: throw LLMError.rejected(provider: configuration.provider, status: status, message: message)
                }
            }
            let delay = Self.retryDelay(headers: headers, attempt: attempt)
            logger.notice("LLM API busy; retrying", metadata: ["status": "\(status)", "in_seconds": "\(delay.inSeconds)"])
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }

    /// What a POST came back with: the assistant's message (status 200), or an error body.
    enum Answer {
        case message(ChatMessage)
        case error(Data)

        var message: ChatMessage? { if case .message(let message) = self { message } else { nil } }
        var errorBody: Data { if case .error(let body) = self { body } else { Data() } }
    }

    func decode(_ data: Data) throws -> ChatMessage {
        do {
            guard let message = try JSONDecoder().decode(ChatCompletionResponse.self, from: data).choices.first?.message else {
                throw LLMError.badResponse(provider: configuration.provider, reason: "no choices")
            }
            return message
        } catch let error as LLMError {
            throw error
        } catch {
            throw LLMError.badResponse(provider: configuration.provider, reason: "\(error)")
        }
    }

    /// Reads server-sent events to the end, handing over text deltas on the way.
    func readStream(_ response: HTTPClientResponse, onDelta: DeltaHandler) async throws -> ChatMessage {
        var stream = ChatCompletionStream()
        do {
            for try await chunk in response.body {
                for delta in try stream.feed(chunk.readableBytesView) { await onDelta(delta) }
                if stream.finished { break }
            }
        } catch ChatCompletionStream.Problem.invalid(let reason) {
            throw LLMError.badResponse(provider: configuration.provider, reason: reason)
        }
        return stream.message
    }

    /// POSTs `body`; a 200 answer is read by `success`, any other is collected as an error body.
    func post(_ body: Data, success: (HTTPClientResponse) async throws -> ChatMessage) async throws -> (Int, HTTPHeaders, Answer) {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        let seconds = configuration.timeout.inSeconds
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(seconds * 1e9)))
            let status = Int(response.status.code)
            if status == 200 { return (status, response.headers, .message(try await success(response))) }
            var buffer = try await response.body.collect(upTo: 1 << 20)
            return (status, response.headers, .error(buffer.readData(length: buffer.readableBytes) ?? Data()))
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw LLMError.timedOut(provider: configuration.provider, seconds: seconds)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as LLMError {
            throw error
        } catch {
            throw LLMError.unreachable(provider: configuration.provider, reason: "\(error)")
        }
    }

    /// `Retry-After` (seconds) or `retry-after-ms` when given, else 1, 2, 4 s; never more than 30 s.
    static func retryDelay(headers: HTTPHeaders, attempt: Int) -> Duration {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init) { return .milliseconds(Int64(min(ms, 30_000))) }
        if let seconds = headers.first(name: "retry-after").flatMap(Double.init) { return .milliseconds(Int64(min(seconds, 30) * 1000)) }
        return .seconds(1 << min(attempt, 4))
    }

    static func errorMessage(_ data: Data) -> String {
        // OpenAI-style `{"error": {"message"}}`, or a plain `{"error": "..."}`, or the raw text.
        if let body = try? JSONDecoder().decode(JSONValue.self, from: data) {
            if let message = body["error"]?["message"]?.stringValue { return message }
            if let message = body["error"]?.stringValue { return message }
        }
        return String(decoding: data.prefix(300), as: UTF8.self)
    }
}
