import Foundation
import Testing

@testable import MeshProtocol

@Suite struct IPCCommandTests {
    private func parse(_ line: String) throws -> IPCCommand { try IPCCommand(line: Array(line.utf8)) }

    @Test func parsesEveryUpstreamCommandAndKeepsTheIdAsJSON() throws {
        let send = try parse(#"{"type":"send","id":"a1","payload":{"target_peer":"sc-2","message":{"type":"ping","request_id":"r"}}}"#)
        guard case .send(let target, let message) = send.kind else { Issue.record("not a send"); return }
        #expect(target == "sc-2")
        let decoded = try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: String]
        #expect(decoded == ["type": "ping", "request_id": "r"])
        #expect(send.id == #""a1""#)

        #expect(try parse(#"{"type":"list_peers","payload":{},"id":7}"#).id == "7")
        guard case .broadcast = try parse(#"{"type":"broadcast","payload":{"message":{}}}"#).kind else { Issue.record("not a broadcast"); return }
        guard case .connect("sc-3") = try parse(#"{"type":"connect","payload":{"target_peer_id":"sc-3"}}"#).kind else { Issue.record("not a connect"); return }
        guard case .hello("t") = try parse(#"{"type":"hello","payload":{"token":"t"}}"#).kind else { Issue.record("not a hello"); return }
        guard case .listPeers = try parse(#"{"type":"list_peers"}"#).kind else { Issue.record("payload is optional"); return }
    }

    @Test(arguments: [
        ("nonsense", IPCCommandError.badJSON),
        ("[1]", .notAnObject),
        (#"{"payload":{}}"#, .badField("type", "a string")),
        (#"{"type":"fly"}"#, .unknownCommand("fly")),
        (#"{"type":"send","payload":{"message":{}}}"#, .badField("payload.target_peer", "a non-empty string")),
        (#"{"type":"send","payload":{"target_peer":"x","message":"text"}}"#, .badField("payload.message", "a JSON object (a MeshMessage)")),
        (#"{"type":"connect","payload":{"target_peer_id":""}}"#, .badField("payload.target_peer_id", "a non-empty string")),
        (#"{"type":"list_peers","id":{"nested":true}}"#, .badField("id", "a string or a number")),
    ])
    func rejectsMalformedLinesWithAPreciseError(line: String, expected: IPCCommandError) {
        #expect(throws: expected) { try parse(line) }
    }

    @Test func theIdOfAMalformedCommandIsRecoveredForItsError() {
        #expect(IPCCommand.id(inMalformed: Array(#"{"type":"fly","id":"x9"}"#.utf8)) == #""x9""#)
        #expect(IPCCommand.id(inMalformed: Array("garbage".utf8)) == nil)
    }

    @Test func theSidecarReadsBackEveryCommandTheAgentWrites() throws {
        let message = String(decoding: try JSONEncoder().encode(MeshMessage(type: .taskRequest, requestId: "r1", payload: .object(["x": .string("a/b\n")]))), as: UTF8.self)
        let commands: [IPCCommand] = [
            IPCCommand(kind: .hello(token: "t\"k")), IPCCommand(kind: .send(targetPeer: "sc-2", message: message), id: "7"),
            IPCCommand(kind: .broadcast(message: message), id: #""b1""#), IPCCommand(kind: .listPeers, id: "8"),
            IPCCommand(kind: .connect(targetPeer: "sc-3"), id: "9"),
        ]
        for command in commands {
            let line = command.line
            #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"))
            #expect(try IPCCommand(line: Array(line.utf8.dropLast())) == command)
        }
    }
}
