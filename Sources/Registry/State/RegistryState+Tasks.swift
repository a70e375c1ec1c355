import Foundation
import MeshProtocol

extension RegistryState {
    static let maxWaitMs = 30_000

    func store(_ task: MeshTask, into mutations: inout [StoreMutation]) {
        tasks[task.id] = task
        if task.state.isFinal { openTaskIds.remove(task.id) } else { openTaskIds.insert(task.id) }
        mutations.append(.put(.task, id: task.id, body: JSONEncoder.body(task)))
    }

    static func newTaskId() -> String {
        String(UUID().uuidString.lowercased().prefix(12))
    }

    /// Marks every pending task this agent may take as assigned to it, oldest first.
    func assignPending(to agentId: String, skills: Set<String>, now: Double, into mutations: inout [StoreMutation]) -> [MeshTask] {
        var assigned: [MeshTask] = []
        for id in openTaskIds {
            guard var task = tasks[id], task.isClaimable(by: agentId, skills: skills) else { continue }
            task.state = .assigned
            task.assignedAgentId = agentId
            task.updatedAt = now
            store(task, into: &mutations)
            assigned.append(task)
        }
        return assigned.sorted { $0.createdAt < $1.createdAt }
    }

    public func submit(_ submission: TaskSubmission, by identity: Identity) async throws -> String {
        guard submission.ttl > 0, submission.ttl <= 86_400 else { throw APIError.badRequest("ttl must be between 1 and 86400 seconds") }
        guard !submission.skill.isEmpty || !submission.targetAgentId.isEmpty else {
            throw APIError.badRequest("a task needs a skill or a target_agent_id")
        }
        let now = clock()
        var task = MeshTask(
            id: Self.newTaskId(), skill: submission.skill, targetAgentId: submission.targetAgentId,
            sourceAgentId: submission.sourceAgentId, payload: submission.payload, ttl: submission.ttl, now: now)
        // A waiting long-poll claimer gets the task at once.
        let waiter = claimWaiters.first { task.isClaimable(by: $0.value.agentId, skills: $0.value.skills) }
        if let (waiterId, claimer) = waiter {
            claimWaiters[waiterId] = nil
            task.state = .assigned
            task.assignedAgentId = claimer.agentId
        }
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        do {
            try await persist(mutations)
        } catch {
            waiter?.value.continuation.resume(throwing: error)
            throw error
        }
        logger.debug("task submitted", metadata: ["task_id": "\(task.id)", "skill": "\(task.skill)", "target": "\(task.targetAgentId)"])
        waiter?.value.continuation.resume(returning: [task])
        events.publish(.task(task))
        return task.id
    }

    public func listTasks() -> [MeshTask] {
        tasks.values.sorted { $0.createdAt < $1.createdAt }
    }

    public func task(_ id: String) -> MeshTask? {
        tasks[id]
    }

    /// Completes or fails an assigned task; only its assignee's owner (or an admin) may.
    public func updateTask(_ id: String, _ update: TaskUpdate, by identity: Identity) async throws {
        guard var task = tasks[id] else { throw APIError.notFound("task not found") }
        try identity.requireAgentOrAdmin()
        if !identity.isAdmin {
            guard !task.assignedAgentId.isEmpty, agents[task.assignedAgentId]?.owner == identity.peerId else {
                throw APIError.forbidden("task '\(id)' is not assigned to an agent of this credential")
            }
        }
        guard update.state == .completed || update.state == .failed, task.state.canMove(to: update.state) else {
            throw APIError.conflict("cannot move task from \(task.state.rawValue) to \(update.state.rawValue)")
        }
        task.state = update.state
        task.result = update.result
        task.error = update.error
        task.updatedAt = clock()
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        try await persist(mutations)
        logger.debug("task finished", metadata: ["task_id": "\(id)", "state": "\(task.state.rawValue)"])
        events.publish(.task(task))
    }

    /// Long-poll claim: returns the tasks assignable now, or waits up to `waitMs` for the first one.
    public func claim(_ request: TaskClaim, by identity: Identity) async throws -> [MeshTask] {
        try Self.validateAgentId(request.agentId)
        try authorize(identity, forAgent: request.agentId)
        guard agents[request.agentId] != nil else {
            throw APIError.notFound("agent '\(request.agentId)' is not registered; register or heartbeat first")
        }
        let waitMs = request.waitMs ?? 0
        guard (0...Self.maxWaitMs).contains(waitMs) else { throw APIError.badRequest("wait_ms must be between 0 and 30000") }
        let skills = Set(request.skillNames ?? agents[request.agentId]?.registration.capabilities.skills ?? [])
        var mutations: [StoreMutation] = []
        let ready = assignPending(to: request.agentId, skills: skills, now: clock(), into: &mutations)
        if !ready.isEmpty || waitMs == 0 {
            try await persist(mutations)
            for task in ready { events.publish(.task(task)) }
            return ready
        }
        let waiterId = UUID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                claimWaiters[waiterId] = ClaimWaiter(agentId: request.agentId, skills: skills, continuation: continuation)
                Task {
                    try? await Task.sleep(for: .milliseconds(waitMs))
                    self.endClaimWait(waiterId)
                }
            }
        } onCancel: {
            Task { await self.endClaimWait(waiterId) }
        }
    }

    /// Ends a long-poll with no task, unless a task already took the waiter.
    func endClaimWait(_ waiterId: UUID) {
        claimWaiters.removeValue(forKey: waiterId)?.continuation.resume(returning: [])
    }
}
