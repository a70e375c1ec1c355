import Foundation
import ICE
import STUN
import Testing

@Suite struct ICEServerURLTests {
    @Test func parsesLiteralAddresses() throws {
        let stun = try ICEServerURL(parsing: "stun:192.0.2.1:19302")
        #expect(stun.scheme == .stun)
        #expect(stun.address == address("192.0.2.1:19302"))

        let turn = try ICEServerURL(parsing: "turn:127.0.0.1:3478?transport=udp")
        #expect(turn.scheme == .turn)
        #expect(turn.address == address("127.0.0.1:3478"))

        #expect(try ICEServerURL(parsing: "TURN:[2001:db8::1]:5349").address == address("[2001:db8::1]:5349"))
        #expect(try ICEServerURL(parsing: "turn:[2001:db8::1]").address == address("[2001:db8::1]:3478"))
        #expect(try ICEServerURL(parsing: "stun:192.0.2.1").port == 3478)
    }

    @Test func readsTheTransportToTheServer() throws {
        #expect(try ICEServerURL(parsing: "turn:192.0.2.1").transport == .udp)
        #expect(try ICEServerURL(parsing: "turn:192.0.2.1?transport=UDP").transport == .udp)
        let tcp = try ICEServerURL(parsing: "turn:192.0.2.1:443?transport=tcp")
        #expect(tcp.transport == .tcp && tcp.port == 443 && tcp.scheme == .turn)
        let tls = try ICEServerURL(parsing: "turns:192.0.2.1")
        #expect(tls.transport == .tls && tls.port == 5349 && tls.address == address("192.0.2.1:5349"))
        #expect(try ICEServerURL(parsing: "turns:turn.example.com:443?transport=tcp").transport == .tls)
    }

    @Test func keepsNamesWithoutAnAddress() throws {
        let named = try ICEServerURL(parsing: "stun:stun.l.google.com:19302")
        #expect(named.host == "stun.l.google.com")
        #expect(named.port == 19302)
        #expect(named.address == nil)
    }

    @Test func rejectsWhatItCannotUse() {
        #expect(throws: ICEServerURL.ParseError.unsupportedScheme("stuns")) { try ICEServerURL(parsing: "stuns:192.0.2.1:5349") }
        #expect(throws: ICEServerURL.ParseError.unsupportedTransport("transport=udp")) { try ICEServerURL(parsing: "turns:192.0.2.1?transport=udp") }
        #expect(throws: ICEServerURL.ParseError.unsupportedTransport("transport=sctp")) { try ICEServerURL(parsing: "turn:192.0.2.1?transport=sctp") }
        #expect(throws: ICEServerURL.ParseError.unsupportedScheme("http")) { try ICEServerURL(parsing: "http://192.0.2.1") }
        #expect(throws: ICEServerURL.ParseError.unsupportedTransport("transport=udp")) { try ICEServerURL(parsing: "stun:192.0.2.1?transport=udp") }
        #expect(throws: ICEServerURL.ParseError.badPort("99999")) { try ICEServerURL(parsing: "stun:192.0.2.1:99999") }
        #expect(throws: ICEServerURL.ParseError.badPort("")) { try ICEServerURL(parsing: "stun:192.0.2.1:") }
        #expect(throws: ICEServerURL.ParseError.missingHost) { try ICEServerURL(parsing: "stun:") }
        #expect(throws: ICEServerURL.ParseError.missingHost) { try ICEServerURL(parsing: "turn:[::1") }
        #expect(throws: ICEServerURL.ParseError.unsupportedScheme("nothing")) { try ICEServerURL(parsing: "nothing") }
    }

    @Test func decodesTheRegistryConfiguration() throws {
        struct Config: Decodable { let iceServers: [ICEServer] }
        let json = """
            {"iceServers":[{"urls":["stun:192.0.2.1:3478"]},
             {"urls":["turn:192.0.2.2:3478?transport=udp"],"username":"1700000000:agent-1","credential":"c2VjcmV0"},
             {"urls":"stun:192.0.2.3"}]}
            """
        let config = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
        #expect(config.iceServers == [
            ICEServer(urls: ["stun:192.0.2.1:3478"]),
            ICEServer(urls: ["turn:192.0.2.2:3478?transport=udp"], username: "1700000000:agent-1", credential: "c2VjcmV0"),
            ICEServer(urls: ["stun:192.0.2.3"]),
        ])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Config.self, from: Data(#"{"iceServers":[{"urls":7}]}"#.utf8)) }
    }
}
