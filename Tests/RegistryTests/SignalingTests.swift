import Foundation
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct SignalingTests {
    func connect(_ client: some TestClientProtocol, key: String) async throws -> WebSocketProbe {
        WebSocketProbe(port: client.port!, path: "/ws?token=\(try await client.token(key: key))")
    }

    @Test func registerRelayJoinAndLeave() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let a = try await connect(client, key: TestKeys.agentA)
            try a.send(json: ["type": "register", "peer_id": "peer-a"])
            let firstList = try await a.next(type: "peer_list")
            #expect(firstList["peer_id"] as? String == "registry")
            #expect((firstList["payload"] as? [String: Any])?["peers"] as? [String] == [])

            let b = try await connect(client, key: TestKeys.agentB)
            try b.send(json: ["type": "register", "peer_id": "peer-b"])
            #expect((try await b.next(type: "peer_list")["payload"] as? [String: Any])?["peers"] as? [String] == ["peer-a"])
            #expect((try await a.next(type: "peer_joined")["payload"] as? [String: Any])?["peer_id"] as? String == "peer-b")

            // Offers, answers and candidates are relayed with exactly the four upstream fields.
            let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
            try b.send(json: ["type": "offer", "peer_id": "peer-b", "target_id": "peer-a", "payload": ["sdp": sdp], "extra": 1])
            let offer = try await a.next(type: "offer")
            #expect(Set(offer.keys) == ["type", "peer_id", "target_id", "payload"])
            #expect(offer["peer_id"] as? String == "peer-b")
            #expect((offer["payload"] as? [String: Any])?["sdp"] as? String == sdp)
            try a.send(json: ["type": "ice_candidate", "peer_id": "peer-a", "target_id": "peer-b",
                              "payload": ["candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0]])
            #expect((try await b.next(type: "ice_candidate")["payload"] as? [String: Any])?["sdpMid"] as? String == "0")

            await b.close()
            #expect((try await a.next(type: "peer_left")["payload"] as? [String: Any])?["peer_id"] as? String == "peer-b")
            await a.close()
        }
    }

    @Test func refusedFramesGetErrorsAndTheConnectionStays() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let a = try await connect(client, key: TestKeys.agentA)
            let spoofed: [String: Any] = ["type": "offer", "peer_id": "peer-b", "target_id": "peer-a", "payload": ["sdp": "x"]]
            let cases: [(String, String)] = [
                (String(decoding: try JSONSerialization.data(withJSONObject: spoofed), as: UTF8.self), "does not match"),
                ("not json", "invalid signaling frame"),
                (#"{"type":"offer","peer_id":"peer-a","target_id":"nobody","payload":{"sdp":"x"}}"#, "unknown target peer 'nobody'"),
                (#"{"type":"offer","peer_id":"peer-a","payload":{"sdp":"x"}}"#, "needs a target_id"),
                (#"{"type":"teleport","peer_id":"peer-a"}"#, "unknown message type"),
                (#"{"type":"mesh_status","peer_id":"peer-a","payload":{}}"#, "connected_peers"),
                (#"{"type":"register","peer_id":"peer-a","payload":"\#(String(repeating: "x", count: 70_000))"}"#, "64 KiB"),
            ]
            for (frame, expected) in cases {
                a.send(frame)
                let error = try await a.next(type: "error")
                let message = (error["payload"] as? [String: Any])?["error"] as? String ?? ""
                #expect(message.contains(expected), "\(message)")
            }
            // Still serving after all that.
            try a.send(json: ["type": "heartbeat", "peer_id": "peer-a"])
            try a.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await a.next(type: "peer_list")
            // Every refusal is counted, so abnormal signaling shows on the dashboard (docs/alerts.yml).
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_signaling_refused_total \(cases.count)"))
            await a.close()
        }
    }

    @Test func aSecondConnectionReplacesTheFirst() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let first = try await connect(client, key: TestKeys.agentA)
            try first.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await first.next(type: "peer_list")
            let second = try await connect(client, key: TestKeys.agentA)
            try second.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await second.next(type: "peer_list")
            #expect(try await first.waitClosed() == 4000)
            #expect(await server.services.signaling.connectedPeers == ["peer-a"])
            await first.close()
            await second.close()
        }
    }

    @Test func upgradeNeedsAValidTokenAndNotTheHubRole() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            #expect(try await client.call(.get, "/ws").status == .unauthorized)
            #expect(try await client.call(.get, "/ws?token=abc").status == .unauthorized)
            let hubToken = try await client.token(key: TestKeys.hub)
            let hub = WebSocketProbe(port: client.port!, path: "/ws?token=\(hubToken)")
            _ = try? await hub.waitClosed()
            #expect(hub.failure != nil)
            await hub.close()
        }
    }

    /// The status line a raw WebSocket upgrade request gets (the HTTP stack answers refused upgrades itself),
    /// read on a thread of its own so the blocking socket calls hold none of the tests' async threads.
    static func upgradeStatus(port: Int, path: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try blockingUpgradeStatus(port: port, path: path) }) }
        }
    }

    static func blockingUpgradeStatus(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &buffer, buffer.count, 0)
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        return String(text.split(separator: "\r\n").first ?? "")
    }

    @Test func refusedUpgradesAnswer401Or403() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let port = client.port!
            let hubToken = try await client.token(key: TestKeys.hub)
            let agentToken = try await client.token(key: TestKeys.agentA)
            #expect(try await Self.upgradeStatus(port: port, path: "/ws") == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.upgradeStatus(port: port, path: "/ws?token=forged") == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.upgradeStatus(port: port, path: "/api/hub/events?token=forged") == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.upgradeStatus(port: port, path: "/ws?token=\(hubToken)") == "HTTP/1.1 403 Forbidden")
            #expect(try await Self.upgradeStatus(port: port, path: "/ws?token=\(agentToken)") == "HTTP/1.1 101 Switching Protocols")
            #expect(try await Self.upgradeStatus(port: port, path: "/api/hub/events?token=\(hubToken)") == "HTTP/1.1 101 Switching Protocols")
        }
    }

    @Test func meshStatusReportsBecomeObservedTopologyEdges() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"a","hostname":"h","sidecar_peer_id":"peer-a"}"#)
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: #"{"agent_id":"b","hostname":"h","sidecar_peer_id":"peer-b"}"#)
            let before = try await client.call(.get, "/api/hub/network/topology", key: TestKeys.hub).object()
            #expect((before["mesh_edges"] as? [Any])?.isEmpty == true)

            let a = try await connect(client, key: TestKeys.agentA)
            try a.send(json: ["type": "mesh_status", "peer_id": "peer-a", "payload": ["connected_peers": ["peer-b"]]])
            var edges: [[String: Any]] = []
            for _ in 0..<100 where edges.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                edges = try await client.call(.get, "/api/hub/network/topology", key: TestKeys.hub).object()["mesh_edges"] as? [[String: Any]] ?? []
            }
            #expect(edges.count == 1)
            #expect(edges.first?["from_peer"] as? String == "peer-a")
            #expect(edges.first?["to_peer"] as? String == "peer-b")
            let nodes = try await client.call(.get, "/api/hub/network/topology", key: TestKeys.hub).object()["nodes"] as? [[String: Any]] ?? []
            #expect(nodes.first { $0["agent_id"] as? String == "b" }?["mesh_peers"] as? [String] == ["peer-a"])

            // When the reporting sidecar's signaling ends, its report goes with it.
            await a.close()
            for _ in 0..<100 where !edges.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                edges = try await client.call(.get, "/api/hub/network/topology", key: TestKeys.hub).object()["mesh_edges"] as? [[String: Any]] ?? []
            }
            #expect(edges.isEmpty)
        }
    }

    @Test func upgradesPastTheFailedAuthenticationLimitAnswer429AndAreCounted() async throws {
        let server = try await RegistryServer.test { $0.limits.failedAuthPerMinute = 2 }
        try await server.application.test(.live) { client in
            let port = client.port!
            let agentToken = try await client.token(key: TestKeys.agentA)
            for path in ["/ws?token=forged", "/api/hub/events?token=forged"] {
                #expect(try await Self.upgradeStatus(port: port, path: path) == "HTTP/1.1 401 Unauthorized")
            }
            // The guesser's address now waits, even with a good token, on both WebSockets.
            #expect(try await Self.upgradeStatus(port: port, path: "/ws?token=\(agentToken)") == "HTTP/1.1 429 Too Many Requests")
            #expect(try await Self.upgradeStatus(port: port, path: "/api/hub/events?token=\(agentToken)") == "HTTP/1.1 429 Too Many Requests")
            let metrics = try await client.call(.get, "/metrics").text
            #expect(metrics.contains("chatixia_auth_failures_total 2"))
            #expect(metrics.contains("chatixia_rate_limited_total 2"))
        }
    }
}
