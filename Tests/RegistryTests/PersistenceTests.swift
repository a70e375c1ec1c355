import Foundation
import HummingbirdTesting
import Logging
import Testing

@testable import Registry

@Suite struct PersistenceTests {
    @Test func stateSurvivesReopeningTheDatabase() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString).db").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let (taskId, pairingId, deviceToken) = try await {
            let store = try await SQLiteRegistryStore.open(path: path, logger: Logger(label: "test"))
            let server = try await RegistryServer.test(store: store)
            return try await server.application.test(.router) { client in
                _ = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"keep","hostname":"h","capabilities":{"skills":["echo"]}}"#)
                let taskId = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo","payload":{"n":1}}"#).object()["task_id"] as! String
                let code = try await client.call(.post, "/api/pairing/generate-code", key: TestKeys.admin).object()["code"] as! String
                let pairingId = try await client.call(.post, "/api/pairing/pair", json: #"{"code":"\#(code)","agent_name":"p"}"#).object()["id"] as! String
                let deviceToken = try await client.call(.post, "/api/pairing/\(pairingId)/approve", key: TestKeys.admin).object()["device_token"] as! String
                return (taskId, pairingId, deviceToken)
            }
        }()
        let reopened = try await SQLiteRegistryStore.open(path: path, logger: Logger(label: "test"))
        let server = try await RegistryServer.test(store: reopened)
        try await server.application.test(.router) { client in
            #expect(try await client.call(.get, "/api/registry/agents/keep", key: TestKeys.agentA).status == .ok)
            let task = try await client.call(.get, "/api/hub/tasks/\(taskId)", key: TestKeys.hub).object()
            #expect((task["payload"] as? [String: Any])?["n"] as? Int == 1)
            #expect(try await client.call(.get, "/api/pairing/all", key: TestKeys.admin).array().first?["id"] as? String == pairingId)
            let token = try await client.call(.post, "/api/token", headers: [.init("x-device-token")!: deviceToken])
            #expect(token.status == .ok)
            // Ownership survives too.
            #expect(try await client.call(.delete, "/api/registry/agents/keep", key: TestKeys.agentB).status == .forbidden)
        }
    }

    @Test func journalCoalescesRepeatedWritesToOneRecord() {
        let batch: [StoreMutation] = [
            .put(.agent, id: "a", body: "1"), .put(.task, id: "t", body: "x"), .put(.agent, id: "a", body: "2"), .delete(.task, id: "t"),
        ]
        #expect(Journal.coalesced(batch) == [.put(.agent, id: "a", body: "2"), .delete(.task, id: "t")])
    }
}
