import Crypto
import Foundation
import ICE
import Testing

@testable import Sidecar

@Suite struct SidecarConfigurationTests {
    @Test func upstreamDefaultsAndDerivedTokenURL() throws {
        let config = try SidecarConfiguration.resolve(environment: ["API_KEY": "key-1", "SIGNALING_URL": "wss://mesh.example:8443/ws"], userID: 1000)
        #expect(config.tokenURLs == ["https://mesh.example:8443/api/token"])
        #expect(config.credential == .apiKey("key-1"))
        #expect(config.ipcSocket == "/tmp/chatixia-1000/sidecar.sock")
        #expect(config.hostAddresses.isEmpty)
        #expect(config.transportPolicy == .all)
        #expect(config.ipcToken == nil)
        #expect(config.busyPollLimit == .microseconds(300))
    }

    @Test func additionsFromTheContract() throws {
        let config = try SidecarConfiguration.resolve(environment: [
            "API_KEY": "key-1", "DEVICE_TOKEN": "dt_abc", "CHATIXIA_IPC_TOKEN": "hello", "ICE_HOST_ADDRESSES": "127.0.0.1, ::1",
            "XDG_RUNTIME_DIR": "/run/user/5", "TOKEN_URL": "http://127.0.0.1:9/api/token", "BUSY_POLL_US": "0",
        ], userID: 5)
        #expect(config.busyPollLimit == .zero)
        #expect(config.credential == .deviceToken("dt_abc"))  // a paired device's token wins over a key
        #expect(config.ipcToken == "hello")
        #expect(config.hostAddresses == ["127.0.0.1", "::1"])
        #expect(config.ipcSocket == "/run/user/5/chatixia/sidecar.sock")
        #expect(config.tokenURLs == ["http://127.0.0.1:9/api/token"])
    }

    @Test func severalReplicasEachWithItsTokenEndpoint() throws {
        let config = try SidecarConfiguration.resolve(
            environment: ["API_KEY": "k", "SIGNALING_URL": "ws://10.0.0.1:8080/ws, wss://b.example/ws ,"], userID: 5)
        #expect(config.signalingURLs == ["ws://10.0.0.1:8080/ws", "wss://b.example/ws"])
        #expect(config.tokenURLs == ["http://10.0.0.1:8080/api/token", "https://b.example/api/token"])
        #expect(throws: SidecarConfigurationError.self) {
            try SidecarConfiguration.resolve(environment: ["API_KEY": "k", "SIGNALING_URL": "ws://a/ws,http://b/ws"], userID: 5)
        }
    }

    @Test(arguments: [
        (["SIGNALING_URL": "ws://x/ws"], SidecarConfigurationError.missingCredential),
        (["API_KEY": "k", "SIGNALING_URL": "http://x/ws"], .invalid("SIGNALING_URL", "http://x/ws", "a ws:// or wss:// URL such as ws://localhost:8080/ws")),
        (["API_KEY": "k", "TOKEN_URL": "ftp://x"], .invalid("TOKEN_URL", "ftp://x", "an http:// or https:// URL such as http://localhost:8080/api/token")),
        (["API_KEY": "k", "ICE_TRANSPORT_POLICY": "sometimes"], .invalid("ICE_TRANSPORT_POLICY", "sometimes", "all or relay")),
        (["API_KEY": "k", "ICE_HOST_ADDRESSES": "127.0.0.1,localhost"], .invalid("ICE_HOST_ADDRESSES", "localhost", "a comma-separated list of IP addresses")),
        (["API_KEY": "k", "SIGNALING_URL": "wss://127.0.0.1:8443/ws"],
         .invalid("SIGNALING_URL", "wss://127.0.0.1:8443/ws", "a wss:// URL with a host name, not an IP address (TLS server name indication)")),
        (["API_KEY": "k", "CA_FILE": "/nonexistent/ca.pem"], .invalid("CA_FILE", "/nonexistent/ca.pem", "a readable file of PEM CA certificates")),
        (["API_KEY": "k", "BUSY_POLL_US": "fast"], .invalid("BUSY_POLL_US", "fast", "microseconds from 0 (never) to 10000")),
        (["API_KEY": "k", "BUSY_POLL_US": "20000"], .invalid("BUSY_POLL_US", "20000", "microseconds from 0 (never) to 10000")),
    ])
    func badEnvironmentIsAClearError(environment: [String: String], expected: SidecarConfigurationError) {
        #expect(throws: expected) { try SidecarConfiguration.resolve(environment: environment, userID: 1) }
    }

    @Test func turnFromTheEnvironment() throws {
        let fixed = try SidecarConfiguration.resolve(environment: [
            "API_KEY": "k", "ICE_TRANSPORT_POLICY": "relay", "TURN_URL": "turn:127.0.0.1:3478?transport=udp",
            "TURN_USERNAME": "user", "TURN_PASSWORD": "pass",
        ], userID: 1)
        #expect(fixed.transportPolicy == .relay)
        #expect(fixed.environmentTURNServer(peerId: "p") == ICEServer(urls: ["turn:127.0.0.1:3478?transport=udp"], username: "user", credential: "pass"))

        let shared = try SidecarConfiguration.resolve(environment: ["API_KEY": "k", "TURN_URL": "turn:10.0.0.1", "TURN_SECRET": "s3cret"], userID: 1)
        let server = try #require(shared.environmentTURNServer(peerId: "sc-1", now: Date(timeIntervalSince1970: 1000)))
        // coturn use-auth-secret: "<expiry>:<peer>" and base64(HMAC-SHA1(secret, username)).
        #expect(server.username == "87400:sc-1")
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data("87400:sc-1".utf8), using: SymmetricKey(data: Data("s3cret".utf8)))
        #expect(server.credential == Data(mac).base64EncodedString())

        #expect(try SidecarConfiguration.resolve(environment: ["API_KEY": "k"], userID: 1).environmentTURNServer(peerId: "p") == nil)
    }

    @Test func aTURNURLNeedsCredentialsAndTheTURNScheme() {
        #expect(throws: SidecarConfigurationError.self) {
            try SidecarConfiguration.resolve(environment: ["API_KEY": "k", "TURN_URL": "turn:127.0.0.1"], userID: 1)
        }
        #expect(throws: SidecarConfigurationError.self) {
            try SidecarConfiguration.resolve(environment: ["API_KEY": "k", "TURN_URL": "stun:127.0.0.1", "TURN_SECRET": "s"], userID: 1)
        }
    }
}
