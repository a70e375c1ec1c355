import Foundation
import HummingbirdTesting
import Logging
import Testing

@testable import Registry

@Suite struct PersistenceTests {
    @Test func stateSurvivesReopeningTheDatabase() async throws {
        let database = try await TestDatabase.fresh()
        defer { TestDatabase.remove(database) }
        let (taskId, pairingId, deviceToken) = try await {
            let store = try await database.openStore(logger: Logger(label: "test"))
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
        let reopened = try await database.openStore(logger: Logger(label: "test"))
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

    @Test func registriesOpeningOneNewDatabaseAtOnceCreateItsSchemaOnceAndShareIt() async throws {
        let database = try await TestDatabase.fresh()
        defer { TestDatabase.remove(database) }
        let stores = try await withThrowingTaskGroup(of: (any RegistryStore).self) { group in
            for _ in 0..<6 { group.addTask { try await database.openStore(logger: Logger(label: "test")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (index, store) in stores.enumerated() { try await store.apply([StoreWrite(.put(.code, id: "c\(index)", body: "{}"))]) }
        for store in stores {
            #expect(Set(try await store.loadAll().map(\.id)) == Set((0..<6).map { "c\($0)" }))
            try await store.close()
        }
    }

    @Test func journalCoalescesRepeatedWritesToOneRecordKeepingTheFirstExpectedVersion() {
        var versions: [RecordKey: Int64] = [RecordKey(kind: .agent, id: "a"): 4]
        let first = Journal.stamp([.put(.agent, id: "a", body: "1"), .put(.task, id: "t", body: "x")], versions: &versions)
        let second = Journal.stamp([.put(.agent, id: "a", body: "2"), .delete(.task, id: "t")], versions: &versions)
        #expect(Journal.coalesced(first + second) == [
            StoreWrite(.put(.agent, id: "a", body: "2"), expectedVersion: 4, newVersion: 6), StoreWrite(.delete(.task, id: "t"), expectedVersion: 0, newVersion: 0),
        ])
        #expect(versions == [RecordKey(kind: .agent, id: "a"): 6])
    }
}
