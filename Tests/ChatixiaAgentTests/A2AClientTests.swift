import AsyncHTTPClient
import MeshProtocol
import Testing

@testable import ChatixiaAgent

/// What the agent accepts from an outside agent's card before it sends the configured headers anywhere.
@Suite struct A2AClientTests {
    func card(endpoint: String, binding: String = "JSONRPC", version: String = "1.0") -> A2AAgentCard {
        A2AAgentCard(
            name: "words", description: "", version: "1", supportedInterfaces: [A2AAgentCard.Interface(url: endpoint, protocolBinding: binding, protocolVersion: version)],
            capabilities: A2AAgentCard.Capabilities(streaming: false, pushNotifications: false, extendedAgentCard: false),
            securitySchemes: nil, securityRequirements: nil, defaultInputModes: [], defaultOutputModes: [], skills: [])
    }

    @Test func theKeyGoesOnlyToTheConfiguredOrigin() throws {
        let client = A2AClient(name: "words", url: "https://words.example/agents/w", headers: ["x-api-key": "k"], http: .shared)
        #expect(client.cardURL == "https://words.example/agents/w/.well-known/agent-card.json")
        #expect(try client.endpoint(of: card(endpoint: "https://WORDS.example:443/a2a")) == "https://WORDS.example:443/a2a")
        for elsewhere in ["https://evil.example/a2a", "http://words.example/a2a", "https://words.example:8443/a2a"] {
            #expect(throws: A2AClient.Failure.self, "\(elsewhere)") { try client.endpoint(of: card(endpoint: elsewhere)) }
        }
        #expect(throws: A2AClient.Failure.self) { try client.endpoint(of: card(endpoint: "https://words.example/a2a", version: "0.3")) }
        #expect(throws: A2AClient.Failure.self) { try client.endpoint(of: card(endpoint: "https://words.example/a2a", binding: "GRPC")) }
        let byCard = A2AClient(name: "words", url: "http://127.0.0.1:9000/cards/w.json", headers: [:], http: .shared)
        #expect(byCard.cardURL == "http://127.0.0.1:9000/cards/w.json")
    }

    @Test func serverSentEventsAreSplitHoweverTheBodyIsCut() throws {
        let body = Array(": a comment\r\ndata: {\"a\":1}\r\n\nevent: x\ndata:{\"b\":\ndata: 2}\n\n\ndata: last".utf8)
        // Every way of cutting the body in two gives the same events; the unfinished last one is dropped.
        for cut in 0...body.count {
            var events = ServerSentEvents()
            let found = try events.feed(body[..<cut]) + events.feed(body[cut...])
            #expect(found.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":1}"#, "{\"b\":\n2}"], "cut at \(cut)")
        }
        var endless = ServerSentEvents()
        #expect(throws: A2AClient.Failure.self) { _ = try endless.feed(repeatElement(UInt8(ascii: "a"), count: ServerSentEvents.maxBytes + 1)) }
    }

    @Test func aRedirectIsNotFollowedSoTheKeyStaysWhereItWasSent() async throws {
        let elsewhere = ScriptedLLMServer([], thenAlways: .text("caught"))
        try await elsewhere.serve { target async throws in
            let redirecting = ScriptedLLMServer([], thenAlways: ScriptedLLMServer.Reply(status: .temporaryRedirect, headers: ["location": target + "/a2a"], body: ""))
            try await redirecting.serve { base async throws in
                let client = A2AClient(name: "words", url: base, headers: ["x-api-key": "secret"], http: A2AClient.sharedHTTP)
                let message = A2AMessage(messageId: "m", role: .user, parts: [A2APart(text: "hi")])
                await #expect(throws: A2AClient.Failure.self) { try await client.send(message, to: base + "/a2a") }
                #expect(await redirecting.requests.first?.headers["x-api-key"] == "secret")
            }
        }
        #expect(await elsewhere.requests.isEmpty)
    }
}
