import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

@testable import Registry

/// Several registries on one PostgreSQL database behave as one: what is done on one replica is seen,
/// claimed and relayed on the others. These need a shared store, so they run in the suite's PostgreSQL
/// pass (scripts/test.sh); with SQLite there is no second replica to test.
@Suite(.enabled(if: TestDatabase.isPostgres, "replicas share a PostgreSQL database; scripts/test.sh runs this suite against one"))
struct ReplicaTests {
    /// Runs `body` with `count` live registries on one new database, each with a client of its own.
    func withReplicas(
        _ count: Int, _ mode: TestingSetup = .router, configure: (inout RegistryConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable ([any TestClientProtocol], [RegistryServer]) async throws -> Void
    ) async throws {
        do {
            let database = try await TestDatabase.fresh()
            var servers: [RegistryServer] = []
            for _ in 0..<count {
                servers.append(try await RegistryServer.test {
                    $0.database = database
                    configure(&$0)
                })
            }
            try await nest(servers, clients: [], mode, body)
        } catch let error as TestFailure {
            throw error
        } catch {
            // PostgreSQL's errors describe themselves only when reflected.
            throw TestFailure(String(reflecting: error))
        }
    }

    private func nest(
        _ servers: [RegistryServer], clients: [any TestClientProtocol], _ mode: TestingSetup,
        _ body: @escaping @Sendable ([any TestClientProtocol], [RegistryServer]) async throws -> Void
    ) async throws {
        guard clients.count < servers.count else { return try await body(clients, servers) }
        try await servers[clients.count].application.test(mode) { client in
            try await nest(servers, clients: clients + [client], mode, body)
        }
    }

    @Test func whatOneReplicaStoresTheOthersServe() async throws {
        try await withReplicas(2) { clients, _ in
            let (a, b) = (clients[0], clients[1])
            #expect(try await a.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"far","hostname":"h","capabilities":{"skills":["echo"]}}"#).status == .ok)
            try await eventually("agent registered on A is listed on B") {
                try await b.call(.get, "/api/registry/agents/far", key: TestKeys.hub).status == .ok
            }
            // Ownership is mesh-wide: another credential cannot take the id through B.
            #expect(try await b.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: #"{"agent_id":"far","hostname":"x"}"#).status == .forbidden)
            // A key created on B authenticates on A; revoked on A, it is refused on B.
            let created = try await b.call(.post, "/api/keys", key: TestKeys.admin, json: #"{"peer_id":"ops","role":"hub","label":"t"}"#).object()
            let key = try #require(created["key"] as? String)
            try await eventually("key created on B works on A") { try await a.call(.get, "/api/registry/agents", key: key).status == .ok }
            #expect(try await a.call(.delete, "/api/keys/\(created["id"] as! String)", key: TestKeys.admin).status == .ok)
            try await eventually("key revoked on A is refused on B") { try await b.call(.get, "/api/registry/agents", key: key).status == .unauthorized }
            #expect(try await a.call(.delete, "/api/registry/agents/far", key: TestKeys.agentA).status == .ok)
            try await eventually("agent removed on A is gone from B") {
                try await b.call(.get, "/api/registry/agents/far", key: TestKeys.hub).status == .notFound
            }
        }
    }

    @Test func aTaskSubmittedOnOneReplicaWakesAClaimWaitingOnAnother() async throws {
        try await withReplicas(2) { clients, servers in
            let (a, b) = (clients[0], clients[1])
            #expect(try await b.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"worker","hostname":"h","skill_names":["echo"]}"#).status == .ok)
            try await eventually("worker known on A") { await servers[0].services.state.agent("worker") != nil }
            let started = ContinuousClock.now
            // A long wait: a claim the task does not wake returns only after it, far beyond the bound below even on a
            // loaded machine.
            async let claimed = b.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"worker","wait_ms":30000}"#)
            try await eventually("the claim waits on B") { await servers[1].services.state.claimWaiters.count == 1 }
            let id = try await a.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo","payload":{"n":1}}"#).object()["task_id"] as! String
            let tasks = try await claimed.object()["tasks"] as? [[String: Any]] ?? []
            #expect(tasks.compactMap { $0["id"] as? String } == [id])
            #expect(ContinuousClock.now - started < .seconds(20), "the claim was answered by the task, not its timeout")
            try await eventually("A sees the task assigned") { await servers[0].services.state.task(id)?.state == .assigned }
        }
    }

    @Test func twoReplicasRacingForTheSameThousandTasksAssignEachExactlyOnce() async throws {
        try await withReplicas(2) { clients, servers in
            let workers: [(client: Int, key: String, agent: String)] = [
                (0, TestKeys.agentA, "a1"), (0, TestKeys.agentB, "b1"), (1, TestKeys.agentA, "a2"), (1, TestKeys.agentB, "b2"),
            ]
            for worker in workers {
                let body = #"{"agent_id":"\#(worker.agent)","hostname":"h","skill_names":["race"],"max_concurrent_tasks":8}"#
                #expect(try await clients[worker.client].call(.post, "/api/hub/heartbeat", key: worker.key, json: body).status == .ok)
            }
            try await eventually("every worker known on both replicas") {
                for server in servers { for worker in workers where await server.services.state.agent(worker.agent) == nil { return false } }
                return true
            }
            let count = 1000
            let submitted = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<count {
                    group.addTask {
                        try await clients[n % 2].call(.post, "/api/hub/tasks", key: TestKeys.admin, json: #"{"skill":"race","payload":{"n":\#(n)}}"#)
                            .object()["task_id"] as! String
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            let claims = ClaimLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask {
                        let client = clients[worker.client]
                        let deadline = ContinuousClock.now + .seconds(120)
                        while claims.count < count, ContinuousClock.now < deadline {
                            let answer = try await client.call(.post, "/api/hub/tasks/claim", key: worker.key, json: #"{"agent_id":"\#(worker.agent)"}"#)
                            guard answer.status == .ok else { continue }  // lost a race: ask again
                            let ids = (try answer.object()["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                            if ids.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                            for id in ids {
                                claims.record(id, by: worker.agent)
                                let done = try await client.call(.post, "/api/hub/tasks/\(id)", key: worker.key, json: #"{"state":"completed","result":"ok"}"#)
                                #expect(done.status == .ok, "\(done.text)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let assigned = claims.byTask
            #expect(Set(assigned.keys) == submitted)
            let twice = assigned.filter { $0.value.count > 1 }
            #expect(twice.isEmpty, "assigned more than once: \(twice.prefix(5))")
            #expect(Set(assigned.values.flatMap { $0 }).count > 1, "both replicas' workers took part")
            try await eventually("every task completed on both replicas") {
                for server in servers {
                    for id in submitted where await server.services.state.task(id)?.state != .completed { return false }
                }
                return true
            }
        }
    }

    @Test func signalingReachesPeersOnOtherReplicasAndPeerListsAreMeshWide() async throws {
        try await withReplicas(2, .live) { clients, servers in
            let (a, b) = (clients[0], clients[1])
            let peerA = WebSocketProbe(port: a.port!, path: "/ws?token=\(try await a.token(key: TestKeys.agentA))")
            try peerA.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await peerA.next(type: "peer_list")
            try await eventually("B knows peer-a") { await servers[1].services.signaling.remotePeers["peer-a"] != nil }

            let peerB = WebSocketProbe(port: b.port!, path: "/ws?token=\(try await b.token(key: TestKeys.agentB))")
            try peerB.send(json: ["type": "register", "peer_id": "peer-b"])
            #expect((try await peerB.next(type: "peer_list")["payload"] as? [String: Any])?["peers"] as? [String] == ["peer-a"])
            #expect((try await peerA.next(type: "peer_joined")["payload"] as? [String: Any])?["peer_id"] as? String == "peer-b")

            let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
            try peerB.send(json: ["type": "offer", "peer_id": "peer-b", "target_id": "peer-a", "payload": ["sdp": sdp]])
            let offer = try await peerA.next(type: "offer")
            #expect(offer["peer_id"] as? String == "peer-b")
            #expect((offer["payload"] as? [String: Any])?["sdp"] as? String == sdp)
            // A frame beyond one notification's 8,000 bytes goes through the database.
            let large = sdp + String(repeating: "a=x-filler:0123456789\r\n", count: 1500)
            try peerA.send(json: ["type": "answer", "peer_id": "peer-a", "target_id": "peer-b", "payload": ["sdp": large]])
            #expect((try await peerB.next(type: "answer")["payload"] as? [String: Any])?["sdp"] as? String == large)
            // Frames across replicas keep their order, a large one among them included (an offer followed by its
            // candidates must not arrive after them).
            for index in 0..<200 {
                let candidate = index == 100 ? large : "candidate:\(index) 1 udp 1 127.0.0.1 \(10_000 + index) typ host"
                try peerB.send(json: ["type": "ice_candidate", "peer_id": "peer-b", "target_id": "peer-a", "payload": ["candidate": candidate, "index": index]])
            }
            var order: [Int] = []
            for _ in 0..<200 {
                guard let frame = try? await peerA.next(type: "ice_candidate") else { break }
                order.append((frame["payload"] as? [String: Any])?["index"] as? Int ?? -1)
            }
            #expect(order == Array(0..<200))

            await peerB.close()
            #expect((try await peerA.next(type: "peer_left")["payload"] as? [String: Any])?["peer_id"] as? String == "peer-b")
            await peerA.close()
        }
    }

    @Test func rateLimitsCountTheHitsOfEveryReplica() async throws {
        try await withReplicas(2, configure: {
            $0.limits.submissionsPerMinute = 10
            $0.limits.failedAuthPerMinute = 8
        }) { clients, _ in
            let (a, b) = (clients[0], clients[1])
            // Each replica reports its hits every 200 ms; a second is several reports.
            let reported = Duration.seconds(1)
            func submit(_ client: some TestClientProtocol) async throws -> HTTPResponse.Status {
                try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"echo"}"#).status
            }
            for _ in 0..<6 { #expect(try await submit(a) == .ok) }
            try await Task.sleep(for: reported)
            for _ in 0..<4 { #expect(try await submit(b) == .ok) }
            #expect(try await submit(b) == .tooManyRequests)
            try await Task.sleep(for: reported)
            #expect(try await submit(a) == .tooManyRequests)

            // Guessing keys from one address is limited as on one registry, whichever replicas the guesses reach:
            // past the limit even a good key is refused.
            for _ in 0..<5 { #expect(try await a.call(.get, "/api/registry/agents", key: "guessed_key_0000001").status == .unauthorized) }
            try await Task.sleep(for: reported)
            for _ in 0..<3 { #expect(try await b.call(.get, "/api/registry/agents", key: "guessed_key_0000002").status == .unauthorized) }
            #expect(try await b.call(.get, "/api/registry/agents", key: TestKeys.hub).status == .tooManyRequests)
            try await Task.sleep(for: reported)
            #expect(try await a.call(.get, "/api/registry/agents", key: TestKeys.hub).status == .tooManyRequests)
        }
    }

    @Test func thePeerIdConnectedLastWinsAcrossReplicas() async throws {
        try await withReplicas(2, .live) { clients, servers in
            let first = WebSocketProbe(port: clients[0].port!, path: "/ws?token=\(try await clients[0].token(key: TestKeys.agentA))")
            try first.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await first.next(type: "peer_list")
            let second = WebSocketProbe(port: clients[1].port!, path: "/ws?token=\(try await clients[1].token(key: TestKeys.agentA))")
            try second.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await second.next(type: "peer_list")
            try await eventually("the older connection on A is closed") { await servers[0].services.signaling.connections["peer-a"] == nil }
            #expect(await servers[1].services.signaling.connections["peer-a"] != nil)
            let newest = servers[1].services.state.store.replication?.replicaId
            try await eventually("A knows peer-a is on B") { await servers[0].services.signaling.remotePeers["peer-a"]?.replica == newest }
            await second.close()
            await first.close()
        }
    }

    @Test func replicasStartingTogetherOnANewDatabaseAllComeUpWithTheKeysStoredOnce() async throws {
        let database = try await TestDatabase.fresh()
        let servers = try await withThrowingTaskGroup(of: RegistryServer.self) { group in
            for _ in 0..<3 { group.addTask { try await RegistryServer.test { $0.database = database } } }
            return try await group.reduce(into: [RegistryServer]()) { $0.append($1) }
        }
        #expect(servers.count == 3)
        let keys = try await TestDatabase.records(in: database).filter { $0.kind == .apiKey }
        #expect(keys.count == TestKeys.all.count)
        for server in servers { #expect(await server.services.state.listAPIKeys().count == TestKeys.all.count) }
    }

    @Test func peersRegisteringOnTwoReplicasAtOnceAreToldSoThatExactlyOneOffers() async throws {
        try await withReplicas(2, .live) { clients, _ in
            let peerA = WebSocketProbe(port: clients[0].port!, path: "/ws?token=\(try await clients[0].token(key: TestKeys.agentA))")
            let peerB = WebSocketProbe(port: clients[1].port!, path: "/ws?token=\(try await clients[1].token(key: TestKeys.agentB))")
            // Both register before either replica has heard of the other's peer.
            try peerA.send(json: ["type": "register", "peer_id": "peer-a"])
            try peerB.send(json: ["type": "register", "peer_id": "peer-b"])
            /// Whether the peer is told to offer (a `peer_list` naming the other) and whether it hears `peer_joined`: frames
            /// until it has heard one of them (however long a loaded machine takes), then until none came for 800 ms.
            func told(_ probe: WebSocketProbe, other: String) async throws -> (offers: Bool, waits: Bool) {
                var result = (offers: false, waits: false)
                while let frame = (try? await probe.next(timeout: result.offers || result.waits ? .milliseconds(800) : .seconds(30))) ?? nil {
                    let payload = frame["payload"] as? [String: Any]
                    if frame["type"] as? String == "peer_list", (payload?["peers"] as? [String])?.contains(other) == true { result.offers = true }
                    if frame["type"] as? String == "peer_joined", payload?["peer_id"] as? String == other { result.waits = true }
                }
                return result
            }
            async let a = told(peerA, other: "peer-b")
            async let b = told(peerB, other: "peer-a")
            let (toldA, toldB) = try await (a, b)
            #expect(toldA.offers != toldB.offers, "exactly one offers: \(toldA) \(toldB)")
            #expect(toldA.offers || toldA.waits)
            #expect(toldB.offers || toldB.waits)
            await peerA.close()
            await peerB.close()
        }
    }

    @Test func topologyReportsAndAnswersBeingWrittenReachEveryReplica() async throws {
        try await withReplicas(2, .live) { clients, servers in
            let (a, b) = (clients[0], clients[1])
            let peerA = WebSocketProbe(port: a.port!, path: "/ws?token=\(try await a.token(key: TestKeys.agentA))")
            try peerA.send(json: ["type": "register", "peer_id": "peer-a"])
            _ = try await peerA.next(type: "peer_list")
            try peerA.send(json: ["type": "mesh_status", "peer_id": "peer-a", "payload": ["connected_peers": ["peer-b"]]])
            try await eventually("B holds peer-a's mesh report") { await servers[1].services.state.meshReports["peer-a"] == ["peer-b"] }
            await peerA.close()
            try await eventually("B drops it once peer-a left") { await servers[1].services.state.meshReports["peer-a"] == nil }

            // An agent working through A reports its answer so far; a dashboard on B sees it.
            #expect(try await a.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"writer","skill_names":["poem"]}"#).status == .ok)
            let id = try await a.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"poem"}"#).object()["task_id"] as! String
            _ = try await a.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"writer"}"#)
            try await eventually("B sees the task assigned") { await servers[1].services.state.task(id)?.state == .assigned }
            let dashboard = WebSocketProbe(port: b.port!, path: "/api/hub/events?token=\(try await b.token(key: TestKeys.hub))")
            _ = try await dashboard.next(type: "snapshot")
            #expect(try await a.call(.post, "/api/hub/tasks/\(id)/progress", key: TestKeys.agentA, json: #"{"text":"Roses are"}"#).status == .ok)
            let progress = try await dashboard.next(type: "task_progress")
            #expect((progress["data"] as? [String: Any])?["text"] as? String == "Roses are")
            await dashboard.close()
        }
    }

    @Test func aKeyRevokedOnOneReplicaClosesTheSignalingConnectionItOpenedOnAnother() async throws {
        try await withReplicas(2, .live) { clients, _ in
            let (a, b) = (clients[0], clients[1])
            let created = try await b.call(.post, "/api/keys", key: TestKeys.admin, json: #"{"peer_id":"roamer","role":"agent","label":"t"}"#).object()
            let key = try #require(created["key"] as? String)
            let peer = WebSocketProbe(port: b.port!, path: "/ws?token=\(try await b.token(key: key))")
            try peer.send(json: ["type": "register", "peer_id": "roamer"])
            _ = try await peer.next(type: "peer_list")
            try await eventually("A knows the key") { try await a.call(.get, "/api/registry/agents", key: key).status == .ok }
            #expect(try await a.call(.delete, "/api/keys/\(created["id"] as! String)", key: TestKeys.admin).status == .ok)
            // The connection on B ends: the next read finds it closed.
            var closed = false
            let deadline = ContinuousClock.now + .seconds(5)
            while !closed, ContinuousClock.now < deadline {
                // nil: the socket closed; a frame or a time-out: still open.
                if case .some(.none) = try? await peer.next(timeout: .milliseconds(500)) { closed = true }
            }
            #expect(closed, "the signaling connection opened with the revoked key is still open on B")
            await peer.close()
        }
    }

    @Test func exactlyOneReplicaSweepsAndAnotherTakesOverWhenItStops() async throws {
        let database = try await TestDatabase.fresh()
        let first = try await RegistryServer.test { $0.database = database }
        let second = try await RegistryServer.test { $0.database = database }
        let leads: @Sendable (RegistryServer) -> Bool = { $0.services.state.store.replication?.isLeader == true }
        let firstRunning = Task { try await first.application.runService() }
        try await eventually("the first replica leads") { leads(first) }
        try await second.application.test(.router) { _ in
            try await Task.sleep(for: .seconds(2))
            #expect(!leads(second), "only one replica leads")
            firstRunning.cancel()
            _ = await firstRunning.result
            try await eventually("the second replica leads once the first stopped", timeout: .seconds(10)) { leads(second) }
        }
    }
}

/// Who took which task, from several tasks at once.
final class ClaimLog: Sendable {
    private let claims = Mutex<[String: [String]]>([:])
    var count: Int { claims.withLock { $0.count } }
    var byTask: [String: [String]] { claims.withLock { $0 } }
    func record(_ taskId: String, by agentId: String) { claims.withLock { $0[taskId, default: []].append(agentId) } }
}
