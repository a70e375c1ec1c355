import Foundation
import Testing

@testable import MeshProtocol

@Suite struct SignalingFrameTests {
    @Test func relaysThePayloadAsTheSenderWroteItWithExactlyTheUpstreamFields() throws {
        let text = #" {"payload": {"sdp":"v=0\r\na=x:\/y \u00e9","n":[1, 2.50]}, "extra": true, "target_id":"b", "peer_id":"a\u0062", "type":"offer"} "#
        let frame = try #require(SignalingFrame(text))
        #expect(frame.type == .offer)
        #expect(frame.peerId == "ab")
        #expect(frame.targetId == "b")
        #expect(frame.relayed == #"{"type":"offer","peer_id":"a\u0062","target_id":"b","payload":{"sdp":"v=0\r\na=x:\/y \u00e9","n":[1, 2.50]}}"#)
        let decoded = try #require(JSONSerialization.jsonObject(with: Data(frame.relayed.utf8)) as? [String: Any])
        #expect(Set(decoded.keys) == ["type", "peer_id", "target_id", "payload"])
    }

    @Test func aMissingPayloadIsRelayedAsNull() throws {
        let frame = try #require(SignalingFrame(#"{"type":"answer","peer_id":"a","target_id":"b"}"#))
        #expect(frame.relayed == #"{"type":"answer","peer_id":"a","target_id":"b","payload":null}"#)
    }

    @Test(arguments: [
        "", "[]", "null", #"{"type":"offer"}"#, #"{"type":1,"peer_id":"a"}"#, #"{"type":"offer","peer_id":["a"]}"#,
        #"{"type":"offer","peer_id":"a","payload":{"sdp":}"#, #"{"type":"offer","peer_id":"a"} trailing"#,
    ])
    func refusesFramesWithoutStringTypeAndPeerIdOrThatAreNotJSON(text: String) {
        #expect(SignalingFrame(text) == nil)
    }

    @Test func aTargetThatIsNotAStringIsAbsent() throws {
        let frame = try #require(SignalingFrame(#"{"type":"offer","peer_id":"a","target_id":7}"#))
        #expect(frame.targetId == nil)
    }

    @Test func meshStatusPeersComeFromThePayload() throws {
        let frame = try #require(SignalingFrame(#"{"type":"mesh_status","peer_id":"a","payload":{"connected_peers":["b",3,"c"]}}"#))
        #expect(frame.body == .meshStatus(connectedPeers: ["b", "c"]))
        #expect(try #require(SignalingFrame(#"{"type":"mesh_status","peer_id":"a","payload":{}}"#)).body == nil)
    }
}
