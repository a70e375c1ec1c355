@testable import ChatixiaAgent
import Foundation
import Logging
import MeshProtocol
import Synchronization
import Testing

@Suite struct ChatCompletionStreamTests {
    static func chunk(_ delta: String) -> String {
        #"data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":\#(delta)}]}"#
    }

    @Test func deltasComeOutAsLinesCompleteHoweverTheBytesAreSplit() throws {
        let text = [
            ": keep-alive comment", Self.chunk(#"{"role":"assistant","content":""}"#), Self.chunk(#"{"content":"Hel"}"#), "",
            Self.chunk(#"{"content":"lo, wörld"}"#), "event: ignored", Self.chunk("{}"), "data: [DONE]", Self.chunk(#"{"content":"after done"}"#),
        ].joined(separator: "\r\n") + "\r\n"
        let bytes = Array(text.utf8)
        for size in [1, 7, bytes.count] {
            var stream = ChatCompletionStream()
            var deltas: [String] = []
            for start in stride(from: 0, to: bytes.count, by: size) { deltas += try stream.feed(bytes[start..<min(start + size, bytes.count)]) }
            #expect(deltas == ["Hel", "lo, wörld"])
            #expect(stream.finished)
            #expect(stream.message == ChatMessage(role: "assistant", content: "Hello, wörld"))
        }
    }

    @Test func toolCallsAreAssembledFromTheirPieces() throws {
        var stream = ChatCompletionStream()
        let lines = [
            Self.chunk(#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"echo","arguments":""}}]}"#),
            Self.chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"text\":"}}]}"#),
            Self.chunk(#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"echo","arguments":"{}"}}]}"#),
            Self.chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"hi\"}"}}]}"#),
            "data: [DONE]",
        ]
        #expect(try stream.feed(Array((lines.joined(separator: "\n\n") + "\n").utf8)) == [])
        #expect(stream.message == ChatMessage(role: "assistant", content: nil, toolCalls: [
            ToolCall(id: "call_a", name: "echo", arguments: #"{"text":"hi"}"#), ToolCall(id: "call_b", name: "echo", arguments: "{}"),
        ]))
    }

    @Test func anErrorOrGarbageInTheStreamIsAProblem() {
        var stream = ChatCompletionStream()
        #expect(throws: ChatCompletionStream.Problem.invalid("overloaded")) { try stream.feed(Array("data: {\"error\":{\"message\":\"overloaded\"}}\n".utf8)) }
        var garbage = ChatCompletionStream()
        #expect(throws: ChatCompletionStream.Problem.invalid("a stream line is not JSON: nope")) { try garbage.feed(Array("data: nope\n".utf8)) }
    }
}

@Suite struct StreamedPromptTests {
    let logger = Logger(label: "streaming-tests")

    func runner(base: String) -> PromptRunner {
        let configuration = LLMConfiguration(provider: "openai", model: "gpt-test", endpoint: "\(base)/chat/completions", headers: ["authorization": "Bearer sk-test"])
        return PromptRunner(
            client: ChatCompletionClient(configuration: configuration, logger: logger), systemPrompt: "", tools: SkillSet([EchoSkill()]), maxTurns: 5, logger: logger)
    }

    /// Deltas with the time each arrived.
    final class Deltas: Sendable {
        let seen = Mutex<[(String, ContinuousClock.Instant)]>([])
        var texts: [String] { seen.withLock { $0.map(\.0) } }
        var firstAt: ContinuousClock.Instant? { seen.withLock { $0.first?.1 } }
        func add(_ delta: String) { seen.withLock { $0.append((delta, .now)) } }
    }

    @Test func deltasArriveAsTheProviderSendsThemAndTheAnswerIsTheirWhole() async throws {
        let server = ScriptedLLMServer([.streamed(["The answer", " is", " 42."], gap: .milliseconds(150))])
        let deltas = Deltas()
        try await server.serve { base in
            let answer = try await runner(base: base).answer("question?") { deltas.add($0) }
            let finished = ContinuousClock.now
            #expect(answer == "The answer is 42.")
            #expect(deltas.texts == ["The answer", " is", " 42."])
            // The first piece was handed over while the rest was still on its way (four gaps of 150 ms).
            #expect(finished - (deltas.firstAt ?? finished) >= .milliseconds(300))
        }
        let request = try #require(await server.requests.first)
        #expect(request.body["stream"] == .bool(true))
        #expect(request.body["model"] == .string("gpt-test"))
    }

    @Test func aServerThatIgnoresStreamIsReadWholeAsOneDelta() async throws {
        let server = ScriptedLLMServer([.text("all at once")])
        let deltas = Deltas()
        try await server.serve { base async throws in
            #expect(try await runner(base: base).answer("question?") { deltas.add($0) } == "all at once")
        }
        #expect(deltas.texts == ["all at once"])
        #expect(await server.requests.first?.body["stream"] == .bool(true))
    }

    @Test func aStreamedToolCallRoundTripWorksAndRetriesStillHappen() async throws {
        let call = #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"echo","arguments":"{\"text\":\"pi"}}]}}]}"#
        let rest = #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ng\"}"}}]},"finish_reason":"tool_calls"}]}"#
        let server = ScriptedLLMServer([
            ScriptedLLMServer.Reply(body: "", events: [call, rest, "[DONE]"]),
            ScriptedLLMServer.Reply(status: .serviceUnavailable, headers: ["retry-after-ms": "10"], body: #"{"error":{"message":"busy"}}"#),
            .streamed(["done: ", "echo:ping"]),
        ])
        let deltas = Deltas()
        try await server.serve { base in
            let answer = try await runner(base: base).answer("say ping") { deltas.add($0) }
            #expect(answer == "done: echo:ping")
        }
        #expect(deltas.texts == ["done: ", "echo:ping"])
        let requests = await server.requests
        try #require(requests.count == 3)
        let messages = requests[2].body["messages"]?.arrayValue ?? []
        #expect(messages.last == .object(["role": .string("tool"), "tool_call_id": .string("call_1"), "content": .string("echo:ping")]))
        #expect(messages.dropLast().last?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"] == .string(#"{"text":"ping"}"#))
        #expect(requests.allSatisfy { $0.body["stream"] == .bool(true) })
    }

    @Test func withoutAHandlerTheRequestDoesNotAskForAStream() async throws {
        let server = ScriptedLLMServer([.text("whole")])
        try await server.serve { base in
            let answer = try await runner(base: base).answer("hi")
            #expect(answer == "whole")
        }
        #expect(await server.requests.first?.body["stream"] == nil)
    }
}
