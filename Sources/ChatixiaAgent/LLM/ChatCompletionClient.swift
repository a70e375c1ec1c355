import AsyncHTTPClient
import Foundation
import Logging
import MeshProtocol
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Calls an OpenAI-compatible chat-completions endpoint; retries 429 and 5xx answers, honouring `Retry-After`.
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

    /// One completion: the assistant's next message.
    public func complete(_ messages: [ChatMessage], tools: [JSONValue]) async throws -> ChatMessage {
        let body = try JSONEncoder().encode(ChatCompletionRequest(model: configuration.model, messages: messages, tools: tools.isEmpty ? nil : tools))
        var attempt = 0
        while true {
            let (status, headers, data) = try await post(body)
            if status == 200 {
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
            let message = Self.errorMessage(data)
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

    func post(_ body: Data) async throws -> (Int, HTTPHeaders, Data) {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        let seconds = configuration.timeout.inSeconds
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(seconds * 1e9)))
            var buffer = try await response.body.collect(upTo: 32 << 20)
            return (Int(response.status.code), response.headers, buffer.readData(length: buffer.readableBytes) ?? Data())
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw LLMError.timedOut(provider: configuration.provider, seconds: seconds)
        } catch is CancellationError {
            throw CancellationError()
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
