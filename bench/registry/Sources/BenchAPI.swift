import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A thin HTTP client for one server.
struct BenchAPI: Sendable {
    let http: HTTPClient
    let base: String

    func send(_ method: HTTPMethod, _ path: String, key: String? = nil, json: String? = nil) async throws -> (UInt, ByteBuffer) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "x-api-key", value: key) }
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        return (response.status.code, try await response.body.collect(upTo: 8 << 20))
    }

    func json(_ method: HTTPMethod, _ path: String, key: String? = nil, json body: String? = nil) async throws -> [String: Any] {
        let (status, buffer) = try await send(method, path, key: key, json: body)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw BenchError("\(method) \(path) answered \(status): \(String(buffer: buffer))")
        }
        return object
    }

    func waitUntilUp(path: String, method: HTTPMethod = .GET) async throws {
        for _ in 0..<400 {
            if (try? await send(method, path, json: method == .POST ? "{}" : nil)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(base) did not come up")
    }

    /// Registers `count` agents, 32 at a time.
    func registerAgents(count: Int, prefix: String, key: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    for n in stride(from: worker, to: count, by: 32) {
                        _ = try await json(.POST, "/api/registry/agents", key: key, json: #"{"agent_id":"\#(prefix)\#(n)","hostname":"bench","sidecar_peer_id":"p-\#(prefix)\#(n)","capabilities":{"skills":["bench"]}}"#)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Sequential round trips of one POST: the floor every request pays.
    func roundTrips(path: String, samples: Int) async throws -> Percentiles {
        var durations: [Duration] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            _ = try await send(.POST, path, json: #"{"agent_id":"x"}"#)
            durations.append(ContinuousClock.now - start)
        }
        return Percentiles(durations)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// p50/p99 of a set of durations.
struct Percentiles: Sendable {
    let p50: Duration
    let p99: Duration

    init(_ samples: [Duration]) {
        let sorted = samples.sorted()
        p50 = sorted.isEmpty ? .zero : sorted[sorted.count / 2]
        p99 = sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    }

    init(p50: Duration, p99: Duration) {
        self.p50 = p50
        self.p99 = p99
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
