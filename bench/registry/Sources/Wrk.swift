import Foundation

/// Runs wrk (C, from Debian) so the load generator costs the server as little CPU as possible.
enum Wrk {
    struct Result: Sendable {
        let requestsPerSecond: Double
        let latency: Percentiles
        let errors: String?
    }

    /// A script posting heartbeats round-robin over `agents` agent ids.
    static func heartbeatScript(agents: Int, key: String) -> String {
        """
        local counter = 0
        request = function()
          counter = counter + 1
          local id = counter % \(agents)
          local body = '{"agent_id":"bench-' .. id .. '","skill_names":["bench"],"sidecar_peer_id":"p-bench-' .. id .. '"}'
          return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["x-api-key"] = "\(key)"}, body)
        end
        """
    }

    static func run(url: String, script: String, seconds: Int, connections: Int = 64) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script, url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("wrk failed: \(output)") }
        return try parse(output)
    }

    static func parse(_ output: String) throws -> Result {
        var rate: Double?
        var p50: Duration?
        var p99: Duration?
        var errors: String?
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let value = fields.last { rate = Double(value) }
            if line.hasPrefix("50%"), let value = fields.last { p50 = duration(String(value)) }
            if line.hasPrefix("99%"), let value = fields.last { p99 = duration(String(value)) }
            if line.hasPrefix("Non-2xx") || line.hasPrefix("Socket errors") { errors = line }
        }
        guard let rate, let p50, let p99 else { throw BenchError("cannot read wrk output: \(output)") }
        return Result(requestsPerSecond: rate, latency: Percentiles(p50: p50, p99: p99), errors: errors)
    }

    /// "1.23ms", "850.00us", "1.02s"
    static func duration(_ text: String) -> Duration? {
        for (suffix, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0)] where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)) else { return nil }
            return .nanoseconds(Int64(value * scale * 1e9))
        }
        return nil
    }
}
