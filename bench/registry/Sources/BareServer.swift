import ArgumentParser
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The comparison server: the cheapest Hummingbird routes that answer what the registry answers.
struct BareServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bare-server", abstract: "Run the bare Hummingbird comparison server.")

    @Option var port: Int

    func run() async throws {
        let relay = BareRelay()
        let router = Router(context: BasicWebSocketRequestContext.self)
        let okBody = ByteBuffer(string: #"{"status":"ok","pending_tasks":[]}"#)
        router.post("heartbeat") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: okBody))
        }
        router.ws("relay") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, context in
            let name = context.request.uri.queryParameters.get("name") ?? ""
            await relay.join(name, outbound)
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { try await relay.forward(text, from: name) }
            }
            await relay.leave(name)
        }
        var logger = Logger(label: "bare")
        logger.logLevel = .warning
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }
}

/// Forwards every frame from one named connection to all the others.
actor BareRelay {
    var writers: [String: WebSocketOutboundWriter] = [:]

    func join(_ name: String, _ writer: WebSocketOutboundWriter) { writers[name] = writer }
    func leave(_ name: String) { writers[name] = nil }

    func forward(_ text: String, from name: String) async throws {
        for (other, writer) in writers where other != name { try await writer.write(.text(text)) }
    }
}
