import MeshProtocol
import NIOCore

extension RegistryClient {
    /// Queues a task; returns its id.
    public func submit(_ submission: TaskSubmission) async throws -> String {
        try await call(.POST, "/api/hub/tasks", body: submission, as: TaskReceipt.self).taskId
    }

    public func task(_ id: String) async throws -> MeshTask {
        try await call(.GET, "/api/hub/tasks/\(Self.segment(id))", as: MeshTask.self)
    }

    /// Long-polls for tasks assigned to `agentId`: returns as soon as one is (or one it holds is canceled),
    /// or empty after `waitMs`.
    public func claim(agentId: String, skillNames: [String]? = nil, waitMs: Int) async throws -> ClaimAnswer {
        let claim = TaskClaim(agentId: agentId, skillNames: skillNames, waitMs: waitMs)
        // The HTTP deadline must outlast the registry's wait, or an assignment could be lost in flight.
        let deadline = TimeAmount.milliseconds(Int64(waitMs)) + .seconds(15)
        return try await call(.POST, "/api/hub/tasks/claim", body: claim, timeout: deadline, as: ClaimAnswer.self)
    }

    /// Reports the answer so far of a task being worked on (`POST /api/hub/tasks/{id}/progress`).
    public func progress(taskId: String, _ progress: TaskProgress) async throws {
        _ = try await call(.POST, "/api/hub/tasks/\(Self.segment(taskId))/progress", body: progress, as: StatusReply.self)
    }

    /// Reports a task's outcome (`POST /api/hub/tasks/{id}`).
    public func report(taskId: String, _ update: TaskUpdate) async throws {
        _ = try await call(.POST, "/api/hub/tasks/\(Self.segment(taskId))", body: update, as: StatusReply.self)
    }
}

extension RegistryClient {
    /// Waits until a task is finished or asks its submitter for input, or `timeout` passes (then returns it as last seen).
    /// The registry has no long-poll for results, so this polls: quickly at first, since a trivial task
    /// finishes within milliseconds, then backing off to twice a second.
    public func waitForOutcome(of taskId: String, timeout: Duration) async throws -> MeshTask {
        let deadline = ContinuousClock.now + timeout
        var interval = Duration.milliseconds(2)
        while true {
            let task = try await task(taskId)
            if task.state.awaitsNoAgent || ContinuousClock.now >= deadline { return task }
            try await Task.sleep(for: min(interval, deadline - .now))
            interval = min(interval * 2, .milliseconds(500))
        }
    }
}
