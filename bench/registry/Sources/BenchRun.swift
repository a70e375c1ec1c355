import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// Starts the registry (release binary, real SQLite file) and the bare server, measures both, writes the table.
struct BenchRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the registry benchmark.")

    @Option(help: "Directory holding the release chatixia-registry binary (default: beside this one).") var binDir: String?
    @Option(help: "Markdown file to write the results section into.") var out = "docs/BENCHMARKS.md"
    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "Submit→claim samples.") var samples = 500
    @Option(help: "Relayed signaling messages.") var messages = 10_000
    @Option(help: "A PostgreSQL server's URL (its database is the template): also measure the registry on PostgreSQL, one replica and three.")
    var postgres: String?

    /// The URL of another database on the same server.
    static func database(_ url: String, named name: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw BenchError("bad --postgres URL") }
        components.path = "/" + name
        return components.string!
    }

    func run() async throws {
        let binDirectory = binDir ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("registry-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let keys = BenchKeys()
        try keys.write(to: work.appendingPathComponent("keys.json").path)
        let registryPort = freePort()
        let barePort = freePort()
        let registry = try ChildProcess(
            binDirectory + "/chatixia-registry",
            ["--host", "127.0.0.1", "--port", "\(registryPort)", "--db", work.appendingPathComponent("bench.db").path,
             "--api-keys", work.appendingPathComponent("keys.json").path],
            // One credential stands in for the 10,000 agents' own, so it may own that many agent ids.
            environment: ["SIGNALING_SECRET": randomSecret(), "STUN_URLS": "", "LOG_LEVEL": "warning", "AGENT_IDS_PER_CREDENTIAL": "20000",
                "REQUESTS_PER_MINUTE_PER_CREDENTIAL": "100000000"])
        let bare = try ChildProcess(CommandLine.arguments[0], ["bare-server", "--port", "\(barePort)"], environment: [:])
        defer {
            registry.stop()
            bare.stop()
        }
        let http = HTTPClient.shared
        let api = BenchAPI(http: http, base: "http://127.0.0.1:\(registryPort)")
        let bareAPI = BenchAPI(http: http, base: "http://127.0.0.1:\(barePort)")
        try await api.waitUntilUp(path: "/metrics")
        try await bareAPI.waitUntilUp(path: "/heartbeat", method: .POST)
        print("registry on :\(registryPort), bare Hummingbird on :\(barePort)")

        var results = BenchResults()
        print("registering 1,000 agents")
        try await api.registerAgents(count: 1000, prefix: "bench-", key: keys.agent)
        let script = work.appendingPathComponent("heartbeat.lua").path
        try Wrk.heartbeatScript(agents: 1000, key: keys.agent).write(toFile: script, atomically: true, encoding: .utf8)
        print("heartbeats: wrk \(seconds) s against the registry, then the bare route")
        results.heartbeat = try Wrk.run(url: "http://127.0.0.1:\(registryPort)/api/hub/heartbeat", script: script, seconds: seconds)
        results.bareHeartbeat = try Wrk.run(url: "http://127.0.0.1:\(barePort)/heartbeat", script: script, seconds: seconds)

        print("submit→claim latency: \(samples) samples")
        results.claimLatency = try await ClaimLatency.measure(submitOn: api, claimOn: api, key: keys.agent, adminKey: keys.admin, samples: samples)
        results.bareRoundTrip = try await bareAPI.roundTrips(path: "/heartbeat", samples: samples)

        print("signaling relay: \(messages) messages")
        results.relay = try await RelayThroughput.measureRegistry(api: api, port: registryPort, keys: keys, messages: messages)
        results.roundTrip = try await RelayThroughput.roundTrips(
            between: ClusterBench.Replica(process: registry, port: registryPort, api: api), and: ClusterBench.Replica(process: registry, port: registryPort, api: api),
            keys: keys, samples: samples)
        results.bareRelay = try await RelayThroughput.measureBare(port: barePort, messages: messages)

        print("RSS with 10,000 registered agents")
        try await api.registerAgents(count: 9000, prefix: "bulk-", key: keys.agent)
        results.registryRSS = registry.residentBytes()
        results.bareRSS = bare.residentBytes()

        if let postgres {
            let cluster = ClusterBench(binDirectory: binDirectory, work: work, keys: keys, seconds: seconds, samples: samples, messages: messages)
            results.cluster = try await cluster.run(
                oneURL: try Self.database(postgres, named: "bench_one"), threeURL: try Self.database(postgres, named: "bench_three"), script: script
            ) { api in try await api.registerAgents(count: 1000, prefix: "bench-", key: keys.agent) }
        }

        let table = results.markdown(seconds: seconds, samples: samples, messages: messages)
        print(table)
        try BenchmarkFile.replaceSection("registry", with: table, in: out)
        print("wrote \(out)")
    }
}

/// Bench credentials and the keys file the registry loads.
struct BenchKeys {
    let admin = "bench_admin_" + randomSecret().prefix(16)
    let agent = "bench_agent_" + randomSecret().prefix(16)
    let relayA = "bench_relay_a_" + randomSecret().prefix(16)
    let relayB = "bench_relay_b_" + randomSecret().prefix(16)

    func write(to path: String) throws {
        let keys: [String: [String: String]] = [
            admin: ["peer_id": "bench-admin", "role": "admin"], agent: ["peer_id": "bench-agents", "role": "agent"],
            relayA: ["peer_id": "bench-a", "role": "agent"], relayB: ["peer_id": "bench-b", "role": "agent"],
        ]
        try JSONSerialization.data(withJSONObject: ["keys": keys]).write(to: URL(fileURLWithPath: path))
    }
}

func randomSecret() -> String {
    (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}
