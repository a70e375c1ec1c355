import Foundation

/// Everything one run measured, and its Markdown table.
struct BenchResults {
    var heartbeat: Wrk.Result?
    var bareHeartbeat: Wrk.Result?
    var claimLatency: Percentiles?
    var bareRoundTrip: Percentiles?
    var relay: Double = 0
    var bareRelay: Double = 0
    var registryRSS = 0
    var bareRSS = 0
    /// Offer→answer round trips through the one SQLite registry, beside the cross-replica ones.
    var roundTrip: Percentiles?
    var cluster: ClusterBench.Result?

    func markdown(seconds: Int, samples: Int, messages: Int) -> String {
        func ms(_ duration: Duration?) -> String { duration.map { String(format: "%.2f ms", $0.milliseconds) } ?? "-" }
        func rate(_ value: Double?) -> String { value.map { String(format: "%.0f/s", $0) } ?? "-" }
        func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        func verdict(_ ok: Bool) -> String { ok ? "yes" : "**no**" }
        let hbRate = heartbeat?.requestsPerSecond ?? 0
        let hbP99 = heartbeat?.latency.p99.milliseconds ?? .infinity
        let claimP50 = claimLatency?.p50.milliseconds ?? .infinity
        let date = ISO8601DateFormatter().string(from: Date())
        var lines = [
            "Measured \(date) on \(ProcessInfo.processInfo.activeProcessorCount) cores, release build, registry on an SQLite file (WAL, synchronous=NORMAL), load from wrk and a Swift client on the same machine.",
            "",
            "| metric | chatixia-registry | bare Hummingbird (same run) | target | met |",
            "|---|---|---|---|---|",
            "| heartbeats/s, 1,000 agents, wrk 64 connections \(seconds) s | \(rate(heartbeat?.requestsPerSecond)) | \(rate(bareHeartbeat?.requestsPerSecond)) | ≥ 10,000/s | \(verdict(hbRate >= 10_000)) |",
            "| heartbeat latency p50 / p99 | \(ms(heartbeat?.latency.p50)) / \(ms(heartbeat?.latency.p99)) | \(ms(bareHeartbeat?.latency.p50)) / \(ms(bareHeartbeat?.latency.p99)) | p99 < 20 ms | \(verdict(hbP99 < 20)) |",
            "| task submit → long-poll claim p50 / p99 (\(samples) samples) | \(ms(claimLatency?.p50)) / \(ms(claimLatency?.p99)) | one POST round trip: \(ms(bareRoundTrip?.p50)) / \(ms(bareRoundTrip?.p99)) | p50 < 5 ms | \(verdict(claimP50 < 5)) |",
            "| signaling messages relayed/s (\(messages) offers, ≤ \(RelayThroughput.window) in flight) | \(rate(relay)) | \(rate(bareRelay)) | ≥ 20,000/s | \(verdict(relay >= 20_000)) |",
            "| RSS with 10,000 registered agents | \(mb(registryRSS)) | idle: \(mb(bareRSS)) | < 150 MB | \(verdict(registryRSS > 0 && registryRSS < 150 << 20)) |",
        ]
        if let cluster {
            let keeps = hbRate > 0 ? cluster.heartbeatsThree / max(cluster.heartbeatsOne, 1) : 0
            let relayP50 = cluster.roundTripAcross?.p50.milliseconds ?? .infinity
            let claimAcrossP50 = cluster.claimAcross?.p50.milliseconds ?? .infinity
            lines += [
                "",
                "### On PostgreSQL, one replica and three (same run, same server, same machine)",
                "",
                "| metric | SQLite ×1 | PostgreSQL ×1 | PostgreSQL ×3 | target | met |",
                "|---|---|---|---|---|---|",
                "| heartbeats/s (wrk, 64 connections shared by the replicas, \(seconds) s) | \(rate(heartbeat?.requestsPerSecond)) | \(rate(cluster.heartbeatsOne)) | \(rate(cluster.heartbeatsThree)) | ×3 ≥ 80 % of ×1 | \(verdict(keeps >= 0.8)) (\(String(format: "%.0f %%", keeps * 100))) |",
                "| signaling relayed/s (≤ \(RelayThroughput.window) in flight) | \(rate(relay)) | – | \(rate(cluster.relayAcross)) (replica 1 → 2) | – | – |",
                "| offer → answer round trip p50 / p99 (\(samples) samples) | \(ms(roundTrip?.p50)) / \(ms(roundTrip?.p99)) | – | \(ms(cluster.roundTripAcross?.p50)) / \(ms(cluster.roundTripAcross?.p99)) (both legs cross replicas) | p50 < 5 ms | \(verdict(relayP50 < 5)) |",
                "| submit → long-poll claim p50 / p99 | \(ms(claimLatency?.p50)) / \(ms(claimLatency?.p99)) | – | \(ms(cluster.claimAcross?.p50)) / \(ms(cluster.claimAcross?.p99)) (submit on 1, claim on 2) | p50 < 10 ms | \(verdict(claimAcrossP50 < 10)) |",
            ]
        }
        for (name, result) in [("registry", heartbeat), ("bare", bareHeartbeat)] {
            if let errors = result?.errors { lines += ["", "wrk reported for \(name): `\(errors)`"] }
        }
        return lines.joined(separator: "\n")
    }
}

/// Keeps docs/BENCHMARKS.md as sections, one per benchmark, each rewritten only by its own command.
enum BenchmarkFile {
    static func replaceSection(_ name: String, with body: String, in path: String) throws {
        let start = "<!-- \(name)-bench:start -->"
        let end = "<!-- \(name)-bench:end -->"
        var text = (try? String(contentsOfFile: path, encoding: .utf8))
            ?? "# Benchmarks\n\nEach section is written by its benchmark command; do not edit the figures by hand.\n"
        let section = "\(start)\n## Registry (`bench/registry/run.sh`)\n\n\(body)\n\(end)"
        if let lower = text.range(of: start), let upper = text.range(of: end), lower.upperBound <= upper.lowerBound {
            text.replaceSubrange(lower.lowerBound..<upper.upperBound, with: section)
        } else {
            text += "\n" + section + "\n"
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
