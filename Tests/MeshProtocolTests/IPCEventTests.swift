import Foundation
import Testing

@testable import MeshProtocol

@Suite struct IPCEventTests {
    private func object(_ event: IPCEvent) throws -> [String: Any] {
        let line = event.line
        #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { $0 != "\n" })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func eventsAreSingleJSONLinesInTheUpstreamShape() throws {
        let message = try object(.message(fromPeer: "sc-\"1\"", message: #"{"type":"ping","payload":{"a":[1,2]}}"#))
        #expect(message["type"] as? String == "message")
        let payload = try #require(message["payload"] as? [String: Any])
        #expect(payload["from_peer"] as? String == "sc-\"1\"")
        #expect((payload["message"] as? [String: Any])?["type"] as? String == "ping")

        #expect(try object(.peerConnected("p"))["payload"] as? [String: String] == ["peer_id": "p"])
        #expect(try object(.peerDisconnected("p"))["type"] as? String == "peer_disconnected")
        #expect((try object(.peerList(["a", "b"]))["payload"] as? [String: [String]]) == ["peers": ["a", "b"]])
        #expect((try object(.ack(id: "12"))["payload"] as? [String: Int]) == ["id": 12])
    }

    @Test func errorsCarryTheIdOnlyWhenThereIsOne() throws {
        let withID = try #require(try object(.error(id: #""c1""#, "bad\nthing"))["payload"] as? [String: String])
        #expect(withID == ["id": "c1", "error": "bad\nthing"])
        let without = try #require(try object(.error(id: nil, "oops"))["payload"] as? [String: String])
        #expect(without == ["error": "oops"])
    }

    @Test func theAgentReadsBackEveryEventTheSidecarWrites() throws {
        let events: [IPCEvent] = [
            .message(fromPeer: "sc-\"1\"", message: #"{"type":"ping","request_id":"r","payload":{"a":[1,2]}}"#),
            .peerConnected("p"), .peerDisconnected("p"), .peerList(["a", "b\u{e9}"]), .peerList([]),
            .ack(id: "12"), .ack(id: #""c1""#), .error(id: "3", "no such peer"), .error(id: nil, "oops"),
        ]
        for event in events { #expect(try IPCEvent(line: Array(event.line.utf8.dropLast())) == event) }
    }

    @Test func unknownEventsPassAndMalformedOnesAreNamed() throws {
        #expect(try IPCEvent(line: Array(#"{"type":"peer_moved","payload":{"peer_id":"p"}}"#.utf8)) == .unknown("peer_moved"))
        #expect(throws: IPCEventError.notAnObject) { try IPCEvent(line: Array("[1]".utf8)) }
        #expect(throws: IPCEventError.badField("payload.peer_id", "a string")) {
            try IPCEvent(line: Array(#"{"type":"peer_connected","payload":{}}"#.utf8))
        }
        #expect(throws: IPCEventError.badField("payload.message", "a JSON object (a MeshMessage)")) {
            try IPCEvent(line: Array(#"{"type":"message","payload":{"from_peer":"p","message":"hi"}}"#.utf8))
        }
        #expect(throws: IPCEventError.badField("payload.peers", "an array of strings")) {
            try IPCEvent(line: Array(#"{"type":"peer_list","payload":{"peers":[1]}}"#.utf8))
        }
    }
}
