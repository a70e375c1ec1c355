import Foundation
import RTCTestSupport
import Testing

@testable import MeshProtocol

@Suite struct JSONScannerTests {
    private func members(_ text: String) -> [String: String]? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let members = try? JSONScanner.members(of: buffer) else { return nil }
            return members.mapValues { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) }
        }
    }

    @Test func recordsTopLevelMembersAsTheirOwnBytes() {
        let found = members(#" {"type" : "send", "n":-1.5e+3, "payload":{"message":{"a":[1,{"b":null}],"s":"x\"y\u00e9"}}, "t":true} "#)
        #expect(found == [
            "type": #""send""#, "n": "-1.5e+3", "payload": #"{"message":{"a":[1,{"b":null}],"s":"x\"y\u00e9"}}"#, "t": "true",
        ])
        #expect(members("{}") == [:])
        #expect(members(#"{"k\u0041y":1}"#) == ["kAy": "1"])
    }

    @Test(arguments: [
        "", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":tru}",
        "{\"a\":\"\u{01}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":1} x", "{\"a\":[1 2]}", "{a:1}",
    ])
    func rejectsWhatIsNotAJSONObject(text: String) {
        #expect(members(text) == nil)
    }

    @Test func agreesWithFoundationOnWhatIsValid() {
        // A seeded walk over mutations of a valid message: the scanner accepts exactly what Foundation accepts
        // as an object (Foundation is the reference, the scanner the fast path).
        var generator = SplitMix64(seed: 99)
        let base = Array(#"{"type":"task_request","request_id":"r1","payload":{"message":"hi \"there\"","n":[1,2.5,-3e2,true,null]}}"#.utf8)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[position] = Array(#"{}[]":,.-+eE0123456789 "\tnulx"#.utf8).randomElement(using: &generator)!
            }
            let scanned = bytes.withUnsafeBufferPointer { (try? JSONScanner.members(of: $0)) != nil }
            let reference = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
            #expect(scanned == reference, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test func recordsANestedObjectsMembersInTheSamePass() {
        func scan(_ text: String) -> (members: [String], nested: [String: String]?)? {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer { buffer in
                guard let (members, nested) = try? JSONScanner.members(of: buffer, andOf: "payload") else { return nil }
                return (members.keys.sorted(), nested?.mapValues { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) })
            }
        }
        let found = scan(#"{"type":"send","payload":{"target_peer":"b","message":{"payload":{"x":1}}},"id":7}"#)
        #expect(found?.members == ["id", "payload", "type"])
        #expect(found?.nested == ["target_peer": #""b""#, "message": #"{"payload":{"x":1}}"#])
        #expect(scan(#"{"payload":[1]}"#)?.nested == nil)
        // The last of duplicate keys counts, for the nested members as for the members.
        #expect(scan(#"{"payload":{"a":1},"payload":2}"#)?.nested == nil)
        #expect(scan(#"{"payload":2,"payload":{"a":1}}"#)?.nested == ["a": "1"])
        #expect(scan(#"{"payload":{"a":}}"#) == nil)
    }

    @Test func findsAStringsEndEscapesAndControlCharactersAtEveryOffset() {
        // Long strings are skipped eight bytes at a time: whatever ends or breaks one must be seen wherever it falls.
        for offset in 0..<20 {
            let before = String(repeating: "a", count: offset), after = String(repeating: "b", count: 19 - offset)
            let cases: [(inner: String, valid: Bool)] = [
                (#"\""#, true), (#"\u00e9"#, true), ("é€", true), ("\u{7F}", true),
                ("\u{01}", false), ("\n", false), ("\u{1F}", false), (#"""#, false), (#"\x"#, false),
            ]
            for (inner, valid) in cases {
                let value = "\"" + before + inner + after + "\""
                #expect((members(#"{"s":"# + value + "}")?["s"] == value) == valid, "offset \(offset), \(inner.debugDescription)")
            }
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(members("{\"a\":\(deep)}") == nil)
    }
}
