import Foundation

/// The registry on PostgreSQL, one replica and three on one database, measured in the same run as the
/// SQLite registry: heartbeats/s (wrk on every replica at once), signaling relayed between replicas, the
/// round trip of an offer and its answer relayed across replicas, and a task submitted on one replica
/// reaching a claim waiting on another.
struct ClusterBench {
    let binDirectory: String
    let work: URL
    let keys: BenchKeys
    let seconds: Int
    let samples: Int
    let messages: Int

    struct Result {
        var heartbeatsOne: Double = 0
        var heartbeatsThree: Double = 0
        var relayAcross: Double = 0
        var roundTripAcross: Percentiles?
        var claimAcross: Percentiles?
    }

    /// `oneURL` and `threeURL` name two empty databases on the same server.
    func run(oneURL: String, threeURL: String, script: String, registerAgents: (BenchAPI) async throws -> Void) async throws -> Result {
        var result = Result()
        do {
            let one = try await start(replicas: 1, database: oneURL)
            defer { one.forEach { $0.process.stop() } }
            try await registerAgents(one[0].api)
            print("PostgreSQL ×1: heartbeats, wrk \(seconds) s")
            result.heartbeatsOne = try await heartbeats(on: one, script: script)
        }
        let three = try await start(replicas: 3, database: threeURL)
        defer { three.forEach { $0.process.stop() } }
        try await registerAgents(three[0].api)
        try await Task.sleep(for: .seconds(1))
        print("PostgreSQL ×3: heartbeats on every replica at once, wrk \(seconds) s")
        result.heartbeatsThree = try await heartbeats(on: three, script: script)
        print("PostgreSQL ×3: \(messages) offers relayed from a peer on replica 1 to one on replica 2")
        result.relayAcross = try await RelayThroughput.measure(between: three[0], and: three[1], keys: keys, messages: messages)
        print("PostgreSQL ×3: offer→answer round trips across replicas, \(samples) samples")
        result.roundTripAcross = try await RelayThroughput.roundTrips(between: three[0], and: three[1], keys: keys, samples: samples)
        print("PostgreSQL ×3: submit on replica 1 → claim waiting on replica 2, \(samples) samples")
        result.claimAcross = try await ClaimLatency.measure(submitOn: three[0].api, claimOn: three[1].api, key: keys.agent, adminKey: keys.admin, samples: samples)
        return result
    }

    struct Replica {
        let process: ChildProcess
        let port: Int
        let api: BenchAPI
    }

    private func start(replicas: Int, database: String) async throws -> [Replica] {
        let secret = randomSecret()
        var started: [Replica] = []
        for _ in 0..<replicas {
            let port = freePort()
            let process = try ChildProcess(
                binDirectory + "/chatixia-registry",
                ["--host", "127.0.0.1", "--port", "\(port)", "--db", database, "--api-keys", work.appendingPathComponent("keys.json").path],
                environment: ["SIGNALING_SECRET": secret, "STUN_URLS": "", "LOG_LEVEL": "warning", "AGENT_IDS_PER_CREDENTIAL": "20000",
                    "REQUESTS_PER_MINUTE_PER_CREDENTIAL": "100000000"])
            started.append(Replica(process: process, port: port, api: BenchAPI(http: .shared, base: "http://127.0.0.1:\(port)")))
        }
        for replica in started { try await replica.api.waitUntilUp(path: "/readyz") }
        return started
    }

    /// wrk against every replica at once, the 64 connections shared out; the sum of their rates.
    private func heartbeats(on replicas: [Replica], script: String) async throws -> Double {
        let connections = 64 / replicas.count
        let (seconds, urls) = (self.seconds, replicas.map { "http://127.0.0.1:\($0.port)/api/hub/heartbeat" })
        return try await withThrowingTaskGroup(of: Double.self) { group in
            for url in urls {
                group.addTask { try await Task.detached { try Wrk.run(url: url, script: script, seconds: seconds, connections: connections).requestsPerSecond }.value }
            }
            return try await group.reduce(0, +)
        }
    }
}
