import DTLS
import Logging
import MeshProtocol
import NIOCore
import NIOEmbedded
import PeerConnection
import RTCTransport
import Testing

@testable import Sidecar

/// The data plane and an agent's IPC connection on one testing loop: the order of what the agent reads, which the
/// end-to-end suites cannot force (a channel's opening and first message in one batch, a route's last message and
/// its removal, a command waiting for the mesh's answer).
@Suite(.timeLimit(.minutes(1))) struct DataPlaneTests {
    /// The mesh's answers: every peer but `known` is unknown; `connect` succeeds.
    struct Mesh: MeshCommands {
        var known: String = "sc-known"
        func connect(to target: String) async -> MeshCommandError? { nil }
        func refusal(sendingTo target: String) async -> MeshCommandError { target == known ? .notConnected(target) : .unknownPeer(target) }
    }

    let loop = NIOAsyncTestingEventLoop()
    let dataPlane: DataPlane

    init() {
        dataPlane = DataPlane(loop: loop, logger: Logger(label: "test"))
    }

    /// An agent connection (decoder and handler on a testing channel sharing the data plane's loop), active.
    func connectAgent(token: String? = nil) async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel(loop: loop)
        let (dataPlane, mesh) = (self.dataPlane, Mesh())
        try await loop.submit {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: IPCServer.maxLineLength)))
            try channel.pipeline.syncOperations.addHandler(IPCConnectionHandler(dataPlane: dataPlane, mesh: mesh, token: token, logger: Logger(label: "test")))
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        await loop.run()
        return channel
    }

    /// A route to `remote` whose driver is never bound: its events are fed by hand.
    func addRoute(_ remote: String, generation: UInt64 = 1) async throws {
        let driver = PeerConnectionDriver(configuration: .init(dtls: try DTLSContext()), loop: loop)
        let (_, control) = AsyncStream<[PeerConnectionEvent]>.makeStream()
        let dataPlane = self.dataPlane
        try await loop.submit { dataPlane.addRoute(to: remote, generation: generation, driver: driver, control: control) }.get()
    }

    func events(_ batch: [PeerConnectionEvent], from remote: String, generation: UInt64 = 1) async throws {
        let dataPlane = self.dataPlane
        try await loop.submit { dataPlane.linkEvents(batch, remote: remote, generation: generation) }.get()
        await loop.run()
    }

    /// What the agent has been sent, as lines, once there are `count` (the mesh answers from another task, so the
    /// loop is run until they have come).
    func lines(_ channel: NIOAsyncTestingChannel, count: Int) async throws -> [String] {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(10)
        while text.filter({ $0 == "\n" }).count < count, ContinuousClock.now < deadline {
            await loop.run()
            if let written = try await channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: written)
            } else {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        return text.split(separator: "\n").map(String.init)
    }

    static func message(_ text: String) -> String {
        #"{"type":"task_request","request_id":"r","source_agent":"a","target_agent":"b","payload":{"message":"\#(text)"}}"#
    }

    @Test func aChannelsFirstMessageComesAfterItsPeerConnectedAndStaleGenerationsAreIgnored() async throws {
        let agent = try await connectAgent()
        try await addRoute("sc-2", generation: 2)
        try await events([.message(stream: 1, .text(Self.message("too early")))], from: "sc-2", generation: 2)
        try await events(
            [.channelOpened(stream: 1, label: "mesh"), .message(stream: 1, .text(Self.message("first"))),
             .message(stream: 3, .text(Self.message("another channel")))],
            from: "sc-2", generation: 2)
        try await events([.message(stream: 1, .text(Self.message("old link")))], from: "sc-2", generation: 1)
        try await events([.message(stream: 1, .text(Self.message("second")))], from: "sc-2", generation: 2)
        let received = try await lines(agent, count: 3)
        #expect(received == [
            #"{"type":"peer_connected","payload":{"peer_id":"sc-2"}}"#,
            String(IPCEvent.message(fromPeer: "sc-2", message: Self.message("first")).line.dropLast()),
            String(IPCEvent.message(fromPeer: "sc-2", message: Self.message("second")).line.dropLast()),
        ])
    }

    @Test func messagesHeldForAnAgentFollowThePeersItIsToldOf() async throws {
        try await addRoute("sc-2")
        try await events([.channelOpened(stream: 1, label: "mesh"), .message(stream: 1, .binary(Array(Self.message("held").utf8)))], from: "sc-2")
        let agent = try await connectAgent()
        #expect(try await lines(agent, count: 2) == [
            #"{"type":"peer_connected","payload":{"peer_id":"sc-2"}}"#,
            String(IPCEvent.message(fromPeer: "sc-2", message: Self.message("held")).line.dropLast()),
        ])
    }

    @Test func aRemovedRouteSaysPeerDisconnectedAfterItsLastMessageAndNothingAfter() async throws {
        let agent = try await connectAgent()
        try await addRoute("sc-2")
        try await events([.channelOpened(stream: 1, label: "mesh"), .message(stream: 1, .text(Self.message("last")))], from: "sc-2")
        let dataPlane = self.dataPlane
        try await loop.submit { dataPlane.removeRoute(to: "sc-2", generation: 1) }.get()
        try await events([.message(stream: 1, .text(Self.message("after")))], from: "sc-2")
        let received = try await lines(agent, count: 3)
        #expect(received.count == 3)
        #expect(received.last == #"{"type":"peer_disconnected","payload":{"peer_id":"sc-2"}}"#)
        #expect(!received.contains { $0.contains("after") })
    }

    @Test func commandsAfterOneTheMeshAnswersWaitForItsAnswer() async throws {
        let agent = try await connectAgent()
        try await addRoute("sc-2")
        try await events([.channelOpened(stream: 1, label: "mesh")], from: "sc-2")
        try await agent.writeInbound(ByteBuffer(string: """
            {"type":"send","id":1,"payload":{"target_peer":"nobody","message":{"type":"ping"}}}
            {"type":"send","id":"k","payload":{"target_peer":"sc-known","message":{"type":"ping"}}}
            {"type":"list_peers","id":2,"payload":{}}
            not json

            """))
        let received = try await lines(agent, count: 6)
        #expect(received == [
            #"{"type":"peer_connected","payload":{"peer_id":"sc-2"}}"#,
            #"{"type":"error","payload":{"id":1,"error":"unknown peer nobody: it is not connected to the registry's signaling"}}"#,
            #"{"type":"error","payload":{"id":"k","error":"no open DataChannel to sc-known (yet)"}}"#,
            #"{"type":"peer_list","payload":{"peers":["sc-2"]}}"#,
            #"{"type":"ack","payload":{"id":2}}"#,
            #"{"type":"error","payload":{"error":"the line is not valid JSON"}}"#,
        ])
    }

    @Test func withATokenTheFirstLineMustBeItsHello() async throws {
        let refused = try await connectAgent(token: "secret")
        try await refused.writeInbound(ByteBuffer(string: #"{"type":"list_peers","payload":{}}"# + "\n"))
        #expect(try await lines(refused, count: 1) == [#"{"type":"error","payload":{"error":"the first line must be a hello with the right token"}}"#])
        await loop.run()
        #expect(!refused.isActive)

        let accepted = try await connectAgent(token: "secret")
        try await accepted.writeInbound(ByteBuffer(string: #"{"type":"hello","id":"h","payload":{"token":"secret"}}"# + "\n"))
        #expect(try await lines(accepted, count: 1) == [#"{"type":"ack","payload":{"id":"h"}}"#])
    }
}
