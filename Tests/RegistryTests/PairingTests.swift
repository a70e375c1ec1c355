import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct PairingTests {
    let claimHeader = HTTPField.Name("x-claim-secret")!
    let deviceHeader = HTTPField.Name("x-device-token")!

    func newCode(_ client: some TestClientProtocol) async throws -> String {
        let response = try await client.call(.post, "/api/pairing/generate-code", key: TestKeys.admin).object()
        #expect(response["expires_in"] as? Int == 300)
        return try #require(response["code"] as? String)
    }

    @Test func fullFlowFromCodeToRevocation() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let code = try await newCode(client)
            #expect(code.wholeMatch(of: /[0-9]{6}/) != nil)
            let paired = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"  my-agent  "}"#)
            #expect(paired.status == .ok)
            let entry = try paired.object()
            let id = try #require(entry["id"] as? String)
            let secret = try #require(entry["claim_secret"] as? String)
            let peerId = try #require(entry["peer_id"] as? String)
            #expect(id.wholeMatch(of: /[0-9a-f]{8}/) != nil)
            #expect(peerId.wholeMatch(of: /agent-[0-9a-f]{6}/) != nil)
            #expect(entry["status"] as? String == "pending_approval")

            // Single use.
            let reused = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"again"}"#)
            #expect(reused.status == .unauthorized)
            #expect(reused.errorMessage == "invalid or expired pairing code")

            let pending = try await client.call(.get, "/api/pairing/pending", key: TestKeys.admin).array()
            #expect(pending.map { $0["id"] as? String } == [id])
            #expect(pending.first?["agent_name"] as? String == "my-agent")
            #expect(pending.first?["created_at"] is Double)

            let waiting = try await client.call(.get, "/api/pairing/\(id)/status", headers: [claimHeader: secret]).object()
            #expect(waiting["status"] as? String == "pending_approval")
            #expect(waiting["device_token"] == nil)
            #expect(try await client.call(.get, "/api/pairing/\(id)/status", headers: [claimHeader: "wrong"]).status == .unauthorized)

            let approved = try await client.call(.post, "/api/pairing/\(id)/approve", key: TestKeys.admin).object()
            #expect(approved["status"] as? String == "approved")
            let token = try #require(approved["device_token"] as? String)
            #expect(token.wholeMatch(of: /dt_[0-9a-f]{32}/) != nil)
            #expect(try await client.call(.post, "/api/pairing/\(id)/approve", key: TestKeys.admin).status == .notFound)

            // The claimant gets the token exactly once.
            let first = try await client.call(.get, "/api/pairing/\(id)/status", headers: [claimHeader: secret]).object()
            #expect(first["device_token"] as? String == token)
            let second = try await client.call(.get, "/api/pairing/\(id)/status", headers: [claimHeader: secret]).object()
            #expect(second["status"] as? String == "approved")
            #expect(second["device_token"] == nil)

            // Listings never contain device tokens.
            let all = try await client.call(.get, "/api/pairing/all", key: TestKeys.admin)
            #expect(!all.text.contains(token))
            #expect(!all.text.contains("device_token"))

            // The device token authenticates as an agent with the entry's peer id, and mints JWTs.
            let exchanged = try await client.call(.post, "/api/token", headers: [deviceHeader: token]).object()
            #expect(exchanged["peer_id"] as? String == peerId)
            #expect(exchanged["role"] as? String == "agent")
            let jwt = try #require(exchanged["token"] as? String)
            #expect(try await client.call(.get, "/api/registry/agents", headers: [deviceHeader: token]).status == .ok)
            #expect(try await client.call(.post, "/api/pairing/generate-code", headers: [deviceHeader: token]).status == .forbidden)

            // Its signaling connection is open until revocation closes it.
            let socket = WebSocketProbe(port: client.port!, path: "/ws?token=\(jwt)")
            try socket.send(json: ["type": "register", "peer_id": peerId])
            _ = try await socket.next(type: "peer_list")

            #expect(try await client.call(.post, "/api/pairing/\(id)/revoke", key: TestKeys.admin).status == .ok)
            #expect(try await socket.waitClosed() == 4003)
            await socket.close()
            #expect(try await client.call(.post, "/api/token", headers: [deviceHeader: token]).status == .unauthorized)
            #expect(try await client.call(.get, "/api/registry/agents", headers: [.authorization: "Bearer \(jwt)"]).status == .unauthorized)
            #expect(try await client.call(.post, "/api/pairing/\(id)/revoke", key: TestKeys.admin).errorMessage == "not found or not approved")
        }
    }

    @Test func rejectionAndStateRules() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            let code = try await newCode(client)
            let id = try #require(try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"x"}"#).object()["id"] as? String)
            let revokePending = try await client.call(.post, "/api/pairing/\(id)/revoke", key: TestKeys.admin)
            #expect(revokePending.status == .notFound)
            #expect(revokePending.errorMessage == "not found or not approved")
            #expect(try await client.call(.post, "/api/pairing/\(id)/reject", key: TestKeys.admin).status == .ok)
            let approveRejected = try await client.call(.post, "/api/pairing/\(id)/approve", key: TestKeys.admin)
            #expect(approveRejected.status == .notFound)
            #expect(approveRejected.errorMessage == "not found or not pending")
            #expect(try await client.call(.get, "/api/pairing/pending", key: TestKeys.admin).array().isEmpty)
            #expect(try await client.call(.get, "/api/pairing/all", key: TestKeys.admin).array().first?["status"] as? String == "rejected")
        }
    }

    @Test func redemptionErrorsInUpstreamOrderAndRateLimit() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            let badCode = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"12ab56","agent_name":"x"}"#)
            #expect(badCode.status == .badRequest)
            #expect(badCode.errorMessage == "code must be exactly 6 digits")
            let noName = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"123456","agent_name":"   "}"#)
            #expect(noName.errorMessage == "agent_name is required")
            let unknown = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"123456","agent_name":"x"}"#)
            #expect(unknown.status == .unauthorized)
            _ = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"123456","agent_name":"x"}"#)
            _ = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"123456","agent_name":"x"}"#)
            // The sixth attempt within a minute is refused even with a valid code.
            let code = try await newCode(client)
            let limited = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"x"}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorMessage == "too many pairing attempts, try again later")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
        }
    }

    @Test func codesExpireAfterFiveMinutes() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.router) { client in
            let code = try await newCode(client)
            clock.advance(301)
            let late = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"x"}"#)
            #expect(late.status == .unauthorized)
        }
    }
}
