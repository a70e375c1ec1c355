import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import Registry

/// Bounded work and storage: capacity-limited assignment, leases, retention, pagination, per-credential
/// limits, and a store that recovers from failed commits.
@Suite struct BoundsTests {
    func submit(_ client: some TestClientProtocol, _ body: String, key: String = TestKeys.hub) async throws -> String {
        let response = try await client.call(.post, "/api/hub/tasks", key: key, json: body)
        return try #require(try response.object()["task_id"] as? String, "\(response.text)")
    }

    func heartbeat(_ client: some TestClientProtocol, _ body: String, key: String) async throws -> [[String: Any]] {
        let response = try await client.call(.post, "/api/hub/heartbeat", key: key, json: body)
        return try #require(try response.object()["pending_tasks"] as? [[String: Any]], "\(response.text)")
    }

    func state(_ client: some TestClientProtocol, _ id: String) async throws -> [String: Any] {
        try await client.call(.get, "/api/hub/tasks/\(id)", key: TestKeys.hub).object()
    }

    @Test func anAgentIsNeverAssignedMoreThanItsCapacity() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await submit(client, #"{"skill":"work"}"#)) }
            let beat = #"{"agent_id":"w","skill_names":["work"],"max_concurrent_tasks":2}"#
            let first = try await heartbeat(client, beat, key: TestKeys.agentA)
            #expect(first.map { $0["id"] as? String } == Array(ids.prefix(2)))
            #expect(try await heartbeat(client, beat, key: TestKeys.agentA).isEmpty)
            let claim = try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"w"}"#)
            #expect((try claim.object()["tasks"] as? [Any])?.isEmpty == true)
            // One finishes: one slot frees.
            #expect(try await client.call(.post, "/api/hub/tasks/\(ids[0])", key: TestKeys.agentA, json: #"{"state":"completed"}"#).status == .ok)
            #expect(try await heartbeat(client, beat, key: TestKeys.agentA).map { $0["id"] as? String } == [ids[2]])
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"w","max_concurrent_tasks":0}"#).status == .badRequest)
        }
    }

    @Test func anAssignmentWhoseAnswerWasLostGoesBackToTheQueueWhenTheAgentSaysItDoesNotHoldIt() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.router) { client async throws in
            let lost = try await submit(client, #"{"skill":"work","ttl":3600}"#)
            // The claim that assigned it never reached the agent (its connection died with the answer).
            #expect(try await heartbeat(client, #"{"agent_id":"w","skill_names":["work"]}"#, key: TestKeys.agentA).count == 1)
            let kept = try await submit(client, #"{"skill":"work","ttl":3600}"#)
            #expect(try await heartbeat(client, #"{"agent_id":"w"}"#, key: TestKeys.agentA).map { $0["id"] as? String } == [kept])
            // An agent that does not say what it holds changes nothing; a young assignment may still be on its way.
            clock.advance(11)
            #expect(try await heartbeat(client, #"{"agent_id":"w"}"#, key: TestKeys.agentA).isEmpty)
            #expect(try await heartbeat(client, #"{"agent_id":"w","held_tasks":["\#(kept)","\#(lost)"]}"#, key: TestKeys.agentA).isEmpty)
            // Saying it holds only `kept`, it is handed the lost one again, counted as an attempt.
            let again = try await heartbeat(client, #"{"agent_id":"w","held_tasks":["\#(kept)"]}"#, key: TestKeys.agentA)
            #expect(again.map { $0["id"] as? String } == [lost])
            #expect(again.first?["attempts"] as? Int == 1)
            #expect(try await state(client, kept)["state"] as? String == "assigned")
            // Just handed out again, it is not taken back at once by the next beat that misses it.
            #expect(try await heartbeat(client, #"{"agent_id":"w","held_tasks":["\#(kept)"]}"#, key: TestKeys.agentA).isEmpty)
            #expect(try await state(client, lost)["state"] as? String == "assigned")
        }
    }

    @Test func aLostAssignmentItsAgentDoesNotTakeBackGoesAtOnceToAClaimWaitingElsewhere() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock)
        try await server.application.test(.live) { client async throws in
            let port = try #require(client.port)
            let lost = try await submit(client, #"{"skill":"work","ttl":3600}"#)
            // w is assigned the task, but the answer never reaches it.
            #expect(try await heartbeat(client, #"{"agent_id":"w","skill_names":["work"]}"#, key: TestKeys.agentA).count == 1)
            clock.advance(11)
            #expect(try await heartbeat(client, #"{"agent_id":"v","skill_names":["work"]}"#, key: TestKeys.agentB).isEmpty)
            // A long wait: a claim the task does not wake returns only after it, far beyond the bound below.
            async let claimed = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"v","skill_names":["work"],"wait_ms":30000}"#)
            try await eventually("v's claim waits") { await server.services.state.claimWaiters.count == 1 }
            let started = ContinuousClock.now
            // w no longer offers the skill and holds nothing: the task is back in the queue, and v's claim takes it.
            // (The test client's one connection is busy with the claim: the heartbeat goes on another.)
            let (status, answer) = try await RegistryProcess.request(
                port: port, "POST", "/api/hub/heartbeat", key: TestKeys.agentA, json: #"{"agent_id":"w","skill_names":[],"held_tasks":[]}"#)
            #expect(status == 200)
            #expect(((answer as? [String: Any])?["pending_tasks"] as? [Any])?.isEmpty == true)
            let tasks = try await claimed.object()["tasks"] as? [[String: Any]] ?? []
            #expect(tasks.compactMap { $0["id"] as? String } == [lost])
            #expect(tasks.first?["attempts"] as? Int == 1)
            #expect(ContinuousClock.now - started < .seconds(20), "the claim was answered by the requeued task, not its timeout")
            #expect(try await state(client, lost)["assigned_agent_id"] as? String == "v")
        }
    }

    @Test func aLostLeaseReturnsTheTaskToTheQueueThenFailsItAfterTheLastAttempt() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock) {
            $0.limits.taskLeaseSeconds = 30
            $0.limits.taskMaxAttempts = 2
        }
        try await server.application.test(.router) { client async throws in
            let id = try await submit(client, #"{"skill":"work","ttl":3600}"#)
            #expect(try await heartbeat(client, #"{"agent_id":"dies","skill_names":["work"]}"#, key: TestKeys.agentA).count == 1)
            // A heartbeat renews the lease.
            clock.advance(20)
            _ = try await heartbeat(client, #"{"agent_id":"dies"}"#, key: TestKeys.agentA)
            clock.advance(20)
            try await server.services.state.sweep(now: clock.now)
            #expect(try await state(client, id)["state"] as? String == "assigned")
            // The agent stops heartbeating: the task goes back, counted, and another agent finishes it. A long-poll
            // the dead agent left open on the registry's side does not take it back.
            clock.advance(11)
            async let staleClaim = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"dies","wait_ms":1000}"#)
            try await Task.sleep(for: .milliseconds(200))
            try await server.services.state.sweep(now: clock.now)
            #expect((try await staleClaim.object()["tasks"] as? [Any])?.isEmpty == true)
            let requeued = try await state(client, id)
            #expect(requeued["state"] as? String == "pending")
            #expect(requeued["attempts"] as? Int == 1)
            #expect(requeued["assigned_agent_id"] as? String == "")
            let taken = try await heartbeat(client, #"{"agent_id":"also-dies","skill_names":["work"]}"#, key: TestKeys.agentB)
            #expect(taken.map { $0["id"] as? String } == [id])
            // The late report of the first agent is refused; the second attempt's lease runs out too.
            #expect(try await client.call(.post, "/api/hub/tasks/\(id)", key: TestKeys.agentA, json: #"{"state":"completed"}"#).status == .forbidden)
            clock.advance(31)
            try await server.services.state.sweep(now: clock.now)
            let failed = try await state(client, id)
            #expect(failed["state"] as? String == "failed")
            #expect(failed["error"] as? String == "given up after 2 attempts: the lease of agent also-dies expired (it stopped heartbeating)")
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_task_lease_expiries_total 2"))
        }
    }

    @Test func deregisteringHandsTheAgentsTasksBackAtOnce() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let id = try await submit(client, #"{"skill":"work"}"#)
            #expect(try await heartbeat(client, #"{"agent_id":"leaving","skill_names":["work"]}"#, key: TestKeys.agentA).count == 1)
            #expect(try await client.call(.delete, "/api/registry/agents/leaving", key: TestKeys.agentA).status == .ok)
            #expect(try await state(client, id)["state"] as? String == "pending")
            #expect(try await heartbeat(client, #"{"agent_id":"staying","skill_names":["work"]}"#, key: TestKeys.agentB).count == 1)
        }
    }

    @Test func finishedTasksArePrunedByAgeAndCountAndListingsArePaged() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock) {
            $0.limits.retentionSeconds = 3_600
            $0.limits.maxFinishedTasks = 3
        }
        try await server.application.test(.router) { client async throws in
            var ids: [String] = []
            for _ in 0..<6 {
                ids.append(try await submit(client, #"{"skill":"x","ttl":60}"#))
                clock.advance(1)
            }
            let open = try await submit(client, #"{"skill":"x","ttl":86400}"#)
            // Pages of two, in submission order, with the cursor in X-Next-Cursor.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try await client.call(.get, "/api/hub/tasks/all?limit=2\(query)", key: TestKeys.hub)
                let items = try page.array()
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"] as? String }
                cursor = page.headers[.init("x-next-cursor")!]
            } while cursor != nil
            #expect(seen == ids + [open])
            #expect(try await client.call(.get, "/api/hub/tasks/all?limit=0", key: TestKeys.hub).status == .badRequest)

            // The six short ones expire (finished); the count limit keeps the newest three.
            clock.advance(120)
            try await server.services.state.sweep(now: clock.now)
            let kept = try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().compactMap { $0["id"] as? String }
            #expect(kept == Array(ids.suffix(3)) + [open])
            // Past retention the rest go too; the open task stays.
            clock.advance(3_601)
            try await server.services.state.sweep(now: clock.now)
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().compactMap { $0["id"] as? String } == [open])
            #expect(try await client.call(.get, "/metrics").text.contains(#"chatixia_stored_records{kind="task"} 1"#))
        }
    }

    @Test func offlineAgentsArePrunedButKeepTheirOwner() async throws {
        let clock = VirtualClock()
        let server = try await RegistryServer.test(clock: clock) { $0.limits.retentionSeconds = 3_600 }
        try await server.application.test(.router) { client async throws in
            _ = try await heartbeat(client, #"{"agent_id":"gone"}"#, key: TestKeys.agentA)
            clock.advance(3_601)
            try await server.services.state.sweep(now: clock.now)
            #expect(try await client.call(.get, "/api/registry/agents/gone", key: TestKeys.hub).status == .notFound)
            #expect(try await client.call(.post, "/api/hub/heartbeat", key: TestKeys.agentB, json: #"{"agent_id":"gone"}"#).status == .forbidden)
        }
    }

    @Test func aCredentialsOpenTasksAreBounded() async throws {
        let server = try await RegistryServer.test { $0.limits.maxOpenTasksPerCredential = 3 }
        try await server.application.test(.router) { client async throws in
            for _ in 0..<3 { _ = try await submit(client, #"{"skill":"nobody"}"#, key: TestKeys.agentA) }
            let refused = try await client.call(.post, "/api/hub/tasks", key: TestKeys.agentA, json: #"{"skill":"nobody"}"#)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
            // Other credentials are unaffected.
            _ = try await submit(client, #"{"skill":"nobody"}"#, key: TestKeys.agentB)
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().count == 4)
        }
    }

    @Test func aFailedCommitIsUndoneAnswered503AndLaterWritesSucceed() async throws {
        let store = FlakyStore(try await TestDatabase.ephemeral().openStore(logger: Logger(label: "test")))
        let server = try await RegistryServer.test(store: store)
        try await server.application.test(.router) { client async throws in
            let kept = try await submit(client, #"{"skill":"x"}"#)
            store.failing = true
            let refused = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"y"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] != nil)
            let registration = try await client.call(.post, "/api/registry/agents", key: TestKeys.agentA, json: #"{"agent_id":"r","hostname":"h"}"#)
            #expect(registration.status == .serviceUnavailable)
            // Nothing unacknowledged remains in memory: no task y, no agent r, no owner for r.
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().compactMap { $0["id"] as? String } == [kept])
            #expect(try await client.call(.get, "/api/registry/agents/r", key: TestKeys.hub).status == .notFound)
            #expect(await server.services.state.owner(of: "r") == nil)
            // The cause goes away: the next writes succeed without a restart.
            store.failing = false
            #expect(try await client.call(.post, "/api/registry/agents", key: TestKeys.agentB, json: #"{"agent_id":"r","hostname":"h"}"#).status == .ok)
            _ = try await submit(client, #"{"skill":"y"}"#)
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().count == 2)
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_store_failures_total 2"))
        }
    }

    @Test func whileTheDatabaseIsDownWritesAre503ReadinessFailsAndEverythingRecoversAlone() async throws {
        let clock = VirtualClock()
        let store = FlakyStore(try await TestDatabase.ephemeral().openStore(logger: Logger(label: "test")))
        let server = try await RegistryServer.test(clock: clock, store: store)
        let state = server.services.state
        try await server.application.test(.router) { client async throws in
            #expect(try await client.call(.get, "/readyz").status == .ok)
            let kept = try await submit(client, #"{"skill":"x"}"#)
            store.unreachable = true
            #expect(try await client.call(.get, "/readyz").status == .serviceUnavailable)
            let refused = try await client.call(.post, "/api/hub/tasks", key: TestKeys.hub, json: #"{"skill":"y"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            // Reads are served from memory meanwhile, and the process stays up.
            #expect(try await client.call(.get, "/api/hub/tasks/\(kept)", key: TestKeys.hub).status == .ok)
            try await state.sweep(now: clock.now)
            // The server comes back: the unacknowledged task is undone by the next sweep, writes succeed again.
            store.unreachable = false
            try await state.sweep(now: clock.now)
            #expect(try await client.call(.get, "/readyz").status == .ok)
            #expect(try await client.call(.get, "/api/hub/tasks/all", key: TestKeys.hub).array().compactMap { $0["id"] as? String } == [kept])
            let accepted = try await submit(client, #"{"skill":"z"}"#)
            #expect(try await store.loadAll().contains { $0.kind == .task && $0.id == accepted })
        }
    }
}

extension BoundsTests {
    @Test func submissionsAndWaitingClaimsAreLimitedPerCredential() async throws {
        let server = try await RegistryServer.test {
            $0.limits.submissionsPerMinute = 3
            $0.limits.waitingClaimsPerCredential = 2
        }
        try await server.application.test(.router) { client async throws in
            for _ in 0..<3 { _ = try await submit(client, #"{"skill":"nobody"}"#, key: TestKeys.agentA) }
            let fourth = try await client.call(.post, "/api/hub/tasks", key: TestKeys.agentA, json: #"{"skill":"nobody"}"#)
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.errorMessage == "too many task submissions from this credential, slow down")
            _ = try await submit(client, #"{"skill":"nobody"}"#, key: TestKeys.agentB)

            for id in ["w1", "w2", "w3"] { _ = try await heartbeat(client, #"{"agent_id":"\#(id)"}"#, key: TestKeys.agentB) }
            async let first = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"w1","wait_ms":1500}"#)
            async let second = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"w2","wait_ms":1500}"#)
            try await Task.sleep(for: .milliseconds(300))
            let third = try await client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentB, json: #"{"agent_id":"w3","wait_ms":1500}"#)
            #expect(third.status == .tooManyRequests)
            #expect(try await first.status == .ok)
            #expect(try await second.status == .ok)
        }
    }

    @Test func requestsOfAnyKindAreLimitedPerCredential() async throws {
        let server = try await RegistryServer.test { $0.limits.requestsPerMinute = 4 }
        try await server.application.test(.router) { client async throws in
            let calls: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/registry/agents", nil),
                (.post, "/api/registry/agents", #"{"agent_id":"busy","hostname":"h"}"#),
                (.post, "/api/hub/heartbeat", #"{"agent_id":"busy"}"#),
                (.get, "/api/hub/tasks/all", nil),
            ]
            for (method, path, body) in calls {
                #expect(try await client.call(method, path, key: TestKeys.agentA, json: body).status == .ok, "\(path)")
            }
            let fifth = try await client.call(.get, "/api/registry/agents/busy", key: TestKeys.agentA)
            #expect(fifth.status == .tooManyRequests)
            #expect(fifth.errorMessage == "too many requests from this credential, slow down")
            #expect((1...60).contains(try #require(fifth.headers[.retryAfter].flatMap { Int($0) })))
            // Other credentials are unaffected; admins are exempt.
            #expect(try await client.call(.get, "/api/registry/agents/busy", key: TestKeys.agentB).status == .ok)
            for _ in 0..<6 { #expect(try await client.call(.get, "/api/registry/agents", key: TestKeys.admin).status == .ok) }
        }
    }

    @Test func hubEventStreamsAreLimitedPerCredential() async throws {
        let server = try await RegistryServer.test { $0.limits.webSocketsPerCredential = 2 }
        try await server.application.test(.live) { client async throws in
            let path = "/api/hub/events?token=\(try await client.token(key: TestKeys.hub))"
            let open = [WebSocketProbe(port: client.port!, path: path), WebSocketProbe(port: client.port!, path: path)]
            for probe in open { _ = try await probe.next(type: "snapshot") }
            #expect(try await SignalingTests.upgradeStatus(port: client.port!, path: path) == "HTTP/1.1 429 Too Many Requests")
            #expect(try await client.call(.get, "/metrics").text.contains("chatixia_rate_limited_total 1"))
            // Another credential still gets its stream, and the first two stay live.
            let admin = WebSocketProbe(port: client.port!, path: "/api/hub/events?token=\(try await client.token(key: TestKeys.admin))")
            _ = try await admin.next(type: "snapshot")
            _ = try await submit(client, #"{"skill":"nobody"}"#)
            for probe in open { _ = try await probe.next(type: "task") }
            // A closed stream frees its place.
            await open[0].close()
            var reopened: String?
            for _ in 0..<100 where reopened != "HTTP/1.1 101 Switching Protocols" {
                try await Task.sleep(for: .milliseconds(20))
                reopened = try await SignalingTests.upgradeStatus(port: client.port!, path: path)
            }
            #expect(reopened == "HTTP/1.1 101 Switching Protocols")
            for probe in open + [admin] { await probe.close() }
        }
    }

    @Test func aWaitingClaimTakesTheNextTaskTheMomentASlotFrees() async throws {
        let server = try await RegistryServer.test()
        try await server.application.test(.router) { client async throws in
            let first = try await submit(client, #"{"skill":"work"}"#)
            let second = try await submit(client, #"{"skill":"work"}"#)
            let beat = #"{"agent_id":"one-at-a-time","skill_names":["work"],"max_concurrent_tasks":1}"#
            #expect(try await heartbeat(client, beat, key: TestKeys.agentA).map { $0["id"] as? String } == [first])
            let started = ContinuousClock.now
            async let claim = client.call(.post, "/api/hub/tasks/claim", key: TestKeys.agentA, json: #"{"agent_id":"one-at-a-time","wait_ms":20000}"#)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await client.call(.post, "/api/hub/tasks/\(first)", key: TestKeys.agentA, json: #"{"state":"completed"}"#).status == .ok)
            let tasks = try #require(try await claim.object()["tasks"] as? [[String: Any]])
            #expect(tasks.map { $0["id"] as? String } == [second])
            // It was the completion that ended the wait, not the 20 s timeout.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func theHubSnapshotCarriesOnlyTheNewestTasks() async throws {
        let server = try await RegistryServer.test { $0.limits.snapshotTasks = 2 }
        try await server.application.test(.live) { client async throws in
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await submit(client, #"{"skill":"nobody"}"#)) }
            let events = WebSocketProbe(port: client.port!, path: "/api/hub/events?token=\(try await client.token(key: TestKeys.hub))")
            let snapshot = try #require(try await events.next(type: "snapshot")["data"] as? [String: Any])
            #expect((snapshot["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == Array(ids.suffix(2)))
            await events.close()
        }
    }

    @Test func deregisteringPastTheLastAttemptFailsTheTask() async throws {
        let server = try await RegistryServer.test { $0.limits.taskMaxAttempts = 1 }
        try await server.application.test(.router) { client async throws in
            let id = try await submit(client, #"{"skill":"work"}"#)
            #expect(try await heartbeat(client, #"{"agent_id":"quits","skill_names":["work"]}"#, key: TestKeys.agentA).count == 1)
            #expect(try await client.call(.delete, "/api/registry/agents/quits", key: TestKeys.agentA).status == .ok)
            let task = try await state(client, id)
            #expect(task["state"] as? String == "failed")
            #expect(task["error"] as? String == "given up after 1 attempts: its agent quits deregistered")
        }
    }
}

/// A store whose commits fail while `failing` is set, as with a full disk, and whose every call fails while
/// `unreachable` is set, as with a database server that is down.
final class FlakyStore: RegistryStore {
    private let inner: any RegistryStore
    private let state = Mutex((failing: false, unreachable: false))

    init(_ inner: any RegistryStore) {
        self.inner = inner
    }

    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    var unreachable: Bool {
        get { state.withLock { $0.unreachable } }
        set { state.withLock { $0.unreachable = newValue } }
    }

    struct DiskFull: Error {}
    struct Unreachable: Error {}

    private func reach() throws {
        if unreachable { throw Unreachable() }
    }

    func loadAll() async throws -> [StoredRecord] {
        try reach()
        return try await inner.loadAll()
    }
    func load(_ keys: [RecordKey]) async throws -> [StoredRecord] {
        try reach()
        return try await inner.load(keys)
    }
    func apply(_ batch: [StoreWrite]) async throws {
        try reach()
        if failing { throw DiskFull() }
        try await inner.apply(batch)
    }
    func ping() async throws {
        try reach()
        try await inner.ping()
    }
    func close() async throws { try await inner.close() }
}
