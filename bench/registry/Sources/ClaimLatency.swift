import Foundation

/// Time from starting a task submission to a long-polling agent receiving it.
enum ClaimLatency {
    /// Submissions go to `submitOn`, the claim waits on `claimOn` (the same registry, or another replica).
    static func measure(submitOn api: BenchAPI, claimOn claimAPI: BenchAPI, key: String, adminKey: String, samples: Int) async throws -> Percentiles {
        _ = try await api.json(.POST, "/api/registry/agents", key: key, json: #"{"agent_id":"claimer","hostname":"bench","capabilities":{"skills":["bench-claim"]}}"#)
        // The claiming replica must know the agent first.
        while (try? await claimAPI.json(.GET, "/api/registry/agents/claimer", key: key)) == nil { try await Task.sleep(for: .milliseconds(20)) }
        let (arrivals, arrived) = AsyncStream<(String, ContinuousClock.Instant)>.makeStream()
        let claimer = Task {
            while !Task.isCancelled {
                guard let reply = try? await claimAPI.json(.POST, "/api/hub/tasks/claim", key: key, json: #"{"agent_id":"claimer","wait_ms":5000}"#) else { continue }
                let now = ContinuousClock.now
                for task in reply["tasks"] as? [[String: Any]] ?? [] {
                    if let id = task["id"] as? String { arrived.yield((id, now)) }
                }
            }
        }
        defer { claimer.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        var iterator = arrivals.makeAsyncIterator()
        var durations: [Duration] = []
        for _ in 0..<samples {
            let start = ContinuousClock.now
            let submitted = try await api.json(.POST, "/api/hub/tasks", key: adminKey, json: #"{"skill":"bench-claim","payload":{"n":1}}"#)
            guard let id = submitted["task_id"] as? String, let (gotId, at) = await iterator.next(), gotId == id else {
                throw BenchError("claim did not deliver the submitted task")
            }
            durations.append(at - start)
            // Let the claimer re-enter its long poll before the next sample.
            try await Task.sleep(for: .milliseconds(2))
        }
        return Percentiles(durations)
    }
}
