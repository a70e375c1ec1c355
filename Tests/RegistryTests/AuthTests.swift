import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Registry

@Suite struct AuthTests {
    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func tokenExchangeGivesAFiveMinuteJWTForTheKeysPeer() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            let response = try await client.call(.post, "/api/token", key: TestKeys.agentA).object()
            #expect(response["peer_id"] as? String == "peer-a")
            #expect(response["role"] as? String == "agent")
            let token = try #require(response["token"] as? String)
            let identity = try #require(await server.services.tokens.verify(token))
            #expect(identity.peerId == "peer-a" && identity.role == .agent && !identity.viaDevice)
            #expect(identity.keyId?.hasPrefix("key_") == true)
            // Claims are upstream's: sub, role, iat, exp = iat + 300 (whole seconds).
            let payloadPart = String(token.split(separator: ".")[1])
            let padded = payloadPart.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                + String(repeating: "=", count: (4 - payloadPart.count % 4) % 4)
            let claims = try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: padded)!) as? [String: Any])
            let iat = try #require(claims["iat"] as? Int)
            #expect(claims["exp"] as? Int == iat + 300)
            #expect(claims["sub"] as? String == "peer-a")

            let authorized = try await client.call(.get, "/api/registry/agents", headers: bearer(token))
            #expect(authorized.status == .ok)
            #expect(try await client.call(.post, "/api/token", key: "wrong-key-000").status == .unauthorized)
            #expect(try await client.call(.post, "/api/token").status == .unauthorized)
        }
    }

    @Test func misusedJWTsAreRefused() async throws {
        let server = try await RegistryServer.test()
        let valid = try await server.services.tokens.issue(for: Identity(peerId: "peer-a", role: .agent))
        let expired = try await server.services.tokens.issue(for: Identity(peerId: "peer-a", role: .agent), now: Date().addingTimeInterval(-301))
        let foreign = try await TokenService(secret: String(repeating: "x", count: 40)).issue(for: Identity(peerId: "admin", role: .admin))
        let parts = valid.split(separator: ".").map(String.init)
        let now = Int(Date().timeIntervalSince1970)
        let adminClaims = Self.base64URL(#"{"sub":"admin","role":"admin","iat":\#(now),"exp":\#(now + 300)}"#)
        let unsigned = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + adminClaims + "."
        let tampered = parts[0] + "." + adminClaims + "." + parts[2]
        try await server.application.test(.router) { client in
            #expect(try await client.call(.get, "/api/registry/agents", headers: bearer(valid)).status == .ok)
            for (name, token) in [("expired", expired), ("foreign key", foreign), ("alg none", unsigned), ("tampered", tampered), ("garbage", "abc.def")] {
                let response = try await client.call(.post, "/api/pairing/generate-code", headers: bearer(token))
                #expect(response.status == .unauthorized, "\(name)")
                #expect(response.errorMessage == "invalid or expired token", "\(name)")
            }
            #expect(try await client.call(.get, "/api/registry/agents", headers: [.authorization: "Basic abc"]).status == .unauthorized)
        }
    }

    @Test func roleMatrix() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client in
            // (method, path, body, expected status for admin, hub, agent)
            let agentBody = #"{"agent_id":"matrix","hostname":"h"}"#
            let cases: [(HTTPRequest.Method, String, String?, [String: HTTPResponse.Status])] = [
                (.get, "/api/registry/agents", nil, [TestKeys.admin: .ok, TestKeys.hub: .ok, TestKeys.agentA: .ok]),
                (.get, "/api/hub/network/topology", nil, [TestKeys.admin: .ok, TestKeys.hub: .ok, TestKeys.agentA: .ok]),
                (.get, "/api/config", nil, [TestKeys.admin: .ok, TestKeys.hub: .ok, TestKeys.agentA: .ok]),
                (.get, "/api/hub/tasks/all", nil, [TestKeys.admin: .ok, TestKeys.hub: .ok, TestKeys.agentA: .ok]),
                (.post, "/api/hub/tasks", #"{"skill":"s"}"#, [TestKeys.admin: .ok, TestKeys.hub: .ok, TestKeys.agentA: .ok]),
                (.post, "/api/registry/agents", agentBody, [TestKeys.admin: .ok, TestKeys.hub: .forbidden, TestKeys.agentA: .ok]),
                (.post, "/api/hub/heartbeat", #"{"agent_id":"own-a"}"#, [TestKeys.admin: .ok, TestKeys.hub: .forbidden, TestKeys.agentA: .ok]),
                (.post, "/api/pairing/generate-code", nil, [TestKeys.admin: .ok, TestKeys.hub: .forbidden, TestKeys.agentA: .forbidden]),
                (.get, "/api/pairing/pending", nil, [TestKeys.admin: .ok, TestKeys.hub: .forbidden, TestKeys.agentA: .forbidden]),
                (.get, "/api/pairing/all", nil, [TestKeys.admin: .ok, TestKeys.hub: .forbidden, TestKeys.agentA: .forbidden]),
                (.post, "/api/pairing/00000000/approve", nil, [TestKeys.admin: .notFound, TestKeys.hub: .forbidden, TestKeys.agentA: .forbidden]),
                (.post, "/api/pairing/00000000/revoke", nil, [TestKeys.admin: .notFound, TestKeys.hub: .forbidden, TestKeys.agentA: .forbidden]),
            ]
            for (method, path, body, expectations) in cases {
                // The agent goes first, so records it creates are its own; admins may act on anyone's.
                for key in [TestKeys.agentA, TestKeys.hub, TestKeys.admin] {
                    let response = try await client.call(method, path, key: key, json: body)
                    #expect(response.status == expectations[key], "\(method) \(path) as \(TestKeys.all[key]!.role): \(response.text)")
                }
                #expect(try await client.call(method, path, json: body).status == .unauthorized, "\(method) \(path) anonymous")
            }
        }
    }

    @Test func anonymousAccessOnlyWhenAllowed() async throws {
        let server = try await RegistryServer.test(allowAnonymous: true)
        try await server.application.test(.router) { client in
            #expect(try await client.call(.get, "/api/registry/agents").status == .ok)
            #expect(try await client.call(.post, "/api/registry/agents", json: #"{"agent_id":"anon","hostname":"h"}"#).status == .ok)
            #expect(try await client.call(.post, "/api/hub/tasks", json: #"{"skill":"s"}"#).status == .ok)
            // Anonymous callers are never admins, and cannot touch keyed agents.
            #expect(try await client.call(.post, "/api/pairing/generate-code").status == .forbidden)
            _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"keyed","hostname":"h"}"#)
            #expect(try await client.call(.delete, "/api/registry/agents/keyed").status == .forbidden)
            // A wrong key is still refused rather than downgraded to anonymous.
            #expect(try await client.call(.get, "/api/registry/agents", key: "not-a-real-key").status == .unauthorized)
        }
    }

    @Test func tokenEndpointIsRateLimitedPerIP() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<125 { statuses.append(try await client.call(.post, "/api/token", key: TestKeys.agentA).status) }
            // At least 60 per minute must pass (normal use); abuse beyond the limit gets 429 with Retry-After.
            #expect(statuses.prefix(120).allSatisfy { $0 == .ok })
            let limited = try await client.call(.post, "/api/token", key: TestKeys.agentA)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
        }
    }
}
