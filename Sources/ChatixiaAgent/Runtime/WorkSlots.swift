/// Bounds the work an agent does at once (`max_concurrent_tasks`): skill calls, handler processes and LLM
/// calls never run more than `capacity` at a time, whatever arrives from the queue and the mesh.
actor WorkSlots {
    let capacity: Int
    /// Mesh requests that may wait for a slot; beyond them a request is answered "busy" at once.
    let maxWaiting: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int, maxWaiting: Int) {
        self.capacity = capacity
        self.maxWaiting = maxWaiting
    }

    struct Busy: Error, CustomStringConvertible {
        let agentId: String
        let capacity: Int
        let waiting: Int
        var description: String {
            "agent \(agentId) is busy: \(capacity) requests running and \(waiting) waiting, its limit; try again later"
        }
    }

    /// Runs `work` in a slot. With `mayRefuse`, a full line of waiters makes it throw `Busy` instead of waiting.
    func run<T: Sendable>(agentId: String, mayRefuse: Bool, _ work: @Sendable () async throws -> T) async throws -> T {
        if running < capacity {
            running += 1
        } else {
            if mayRefuse, waiting.count >= maxWaiting { throw Busy(agentId: agentId, capacity: capacity, waiting: waiting.count) }
            // The slot is handed over by `release`, so `running` already counts this call when it resumes.
            await withCheckedContinuation { waiting.append($0) }
        }
        defer { release() }
        return try await work()
    }

    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    var inUse: Int { running }
    var queued: Int { waiting.count }
}
