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

    /// Marks the pending tasks this agent may take as assigned to it, oldest first, up to its free slots
    /// (`max_concurrent_tasks` minus the tasks it holds).
    func assignPending(to agentId: String, skills: Set<String>, now: Double, into mutations: inout [StoreMutation]) -> [MeshTask] {
        var claimable: [MeshTask] = []
        for id in openTaskIds {
            guard let task = tasks[id] else { continue }
            if task.isClaimable(by: agentId, skills: skills), mayRun(task, on: agentId) { claimable.append(task) }
        }
        let capacity = agents[agentId]?.registration.maxConcurrentTasks ?? Int.max
        let held = heldTasks(of: agentId)
        guard held < capacity, !claimable.isEmpty else { return [] }
        claimable.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return claimable.prefix(capacity - held).map { pending in
            var task = pending
            task.state = .assigned
            task.assignedAgentId = agentId
            task.updatedAt = now
            store(task, into: &mutations)
            return task
        }
    }

    /// How many tasks the agent is working on (a task waiting for its submitter's input holds no slot).
    func heldTasks(of agentId: String) -> Int {
        openTaskIds.lazy.filter { self.tasks[$0].map { $0.state == .assigned && $0.assignedAgentId == agentId } ?? false }.count
    }

    /// Whether the agent holds fewer assigned tasks than its capacity.
    func hasFreeSlot(_ agentId: String) -> Bool {
        guard let capacity = agents[agentId]?.registration.maxConcurrentTasks else { return true }
        return heldTasks(of: agentId) < capacity
    }

    /// Hands a pending task to a waiting long-poll claimer that may take it and has a free slot; returns
    /// the waiter (already removed) to resume once the task is stored.
    /// A waiter whose agent has not heartbeated within a lease is skipped: a killed agent's long-poll stays
    /// open on our side until it times out, and must not take work.
    func offerToWaiter(_ task: inout MeshTask) -> ClaimWaiter? {
        let now = clock()
        guard
            let (waiterId, waiter) = claimWaiters.first(where: { id, waiter in
                task.isClaimable(by: waiter.agentId, skills: waiter.skills) && mayRun(task, on: waiter.agentId) && hasFreeSlot(waiter.agentId)
                    && now - (agents[waiter.agentId]?.lastHeartbeat ?? 0) < limits.taskLeaseSeconds
            })
        else { return nil }
        claimWaiters[waiterId] = nil
        task.state = .assigned
        task.assignedAgentId = waiter.agentId
        return waiter
    }

    /// Takes back the tasks an agent holds (it deregistered), counting the attempt; a task that goes back to
    /// pending is offered to a waiting long-poll at once. Returns the tasks and the waiters to resume.
    func takeBackTasks(of agentId: String, now: Double, into mutations: inout [StoreMutation]) -> [(MeshTask, ClaimWaiter?)] {
        var changed: [(MeshTask, ClaimWaiter?)] = []
        for id in openTaskIds {
            guard var task = tasks[id], task.state == .assigned, task.assignedAgentId == agentId else { continue }
            takeBack(&task, reason: "its agent \(agentId) deregistered", now: now)
            let waiter = task.state == .pending ? offerToWaiter(&task) : nil
            store(task, into: &mutations)
            changed.append((task, waiter))
        }
        return changed
    }

    /// An assigned task its agent can no longer finish: back to pending with the attempt counted, or failed
    /// once `taskMaxAttempts` is reached.
    func takeBack(_ task: inout MeshTask, reason: String, now: Double) {
        task.attempts += 1
        if task.attempts >= limits.taskMaxAttempts {
            task.state = .failed
            task.error = "given up after \(task.attempts) attempts: \(reason)"
        } else {
            task.state = .pending
            task.assignedAgentId = ""
        }
        task.updatedAt = now
    }

    /// The credential subject a task counts against: its submitter (older records: the owner of its source
    /// agent, else the source itself).
    func submitter(of task: MeshTask) -> String {
        task.submittedBy?.peerId ?? owners[task.sourceAgentId]?.owner ?? task.sourceAgentId
    }

    /// Whether `agentId`'s access rules let the task's submitter run its skill there. Tasks from before
    /// submitters were recorded, and admins' tasks, pass.
    func mayRun(_ task: MeshTask, on agentId: String) -> Bool {
        guard let submitter = task.submittedBy, let rules = agents[agentId]?.registration.capabilities.skillAccess[task.skill] else { return true }
        return SkillAccess.permits(rules, peerId: submitter.peerId, role: submitter.role)
    }

    /// Refuses a submission no agent could take: its target's rules, or those of every agent advertising its
    /// skill, deny the submitter.
    func checkAccess(_ task: MeshTask, by identity: Identity) throws(APIError) {
        guard !identity.isAdmin, !task.skill.isEmpty else { return }
        if !task.targetAgentId.isEmpty {
            guard agents[task.targetAgentId] == nil || mayRun(task, on: task.targetAgentId) else {
                throw APIError.forbidden("credential '\(identity.peerId)' may not run skill '\(task.skill)' on agent '\(task.targetAgentId)'")
            }
            return
        }
        let offering = agents.values.filter { $0.registration.capabilities.skills.contains(task.skill) }.map(\.registration.agentId)
        guard offering.isEmpty || offering.contains(where: { mayRun(task, on: $0) }) else {
            throw APIError.forbidden("credential '\(identity.peerId)' may not run skill '\(task.skill)' on any agent that offers it")
        }
    }

    /// Queues a task; `contextId` ties it to an A2A conversation.
    public func submit(_ submission: TaskSubmission, by identity: Identity, contextId: String? = nil) async throws -> String {
        guard submission.ttl > 0, submission.ttl <= 86_400 else { throw APIError.badRequest("ttl must be between 1 and 86400 seconds") }
        guard !submission.skill.isEmpty || !submission.targetAgentId.isEmpty else {
            throw APIError.badRequest("a task needs a skill or a target_agent_id")
        }
        // Attribution comes from the credential: an agent may name one of its own agents as the source;
        // anything else becomes the credential's subject. Admins may set any source.
        let source: String
        if identity.isAdmin || (!submission.sourceAgentId.isEmpty && owners[submission.sourceAgentId]?.owner == identity.peerId) {
            source = submission.sourceAgentId
        } else {
            source = identity.peerId
        }
        if !identity.isAdmin {
            let open = openTaskIds.lazy.compactMap { self.tasks[$0] }.filter { self.submitter(of: $0) == identity.peerId }.count
            guard open < limits.maxOpenTasksPerCredential else {
                throw APIError(.tooManyRequests, "this credential has \(open) open tasks, the limit; wait for some to finish", retryAfterSeconds: 5)
            }
        }
        let now = clock()
        var task = MeshTask(
            id: Self.newTaskId(), skill: submission.skill, targetAgentId: submission.targetAgentId,
            sourceAgentId: source, payload: submission.payload, ttl: submission.ttl, now: now)
        task.submittedBy = Principal(peerId: identity.peerId, role: identity.role)
        task.contextId = contextId
        try checkAccess(task, by: identity)
        // A waiting long-poll claimer gets the task at once.
        let waiter = offerToWaiter(&task)
        try await persist(task, handingTo: waiter)
        logger.debug("task submitted", metadata: ["task_id": "\(task.id)", "skill": "\(task.skill)", "target": "\(task.targetAgentId)"])
        waiter?.continuation.resume(returning: [task])
        events.publish(.task(task))
        return task.id
    }

    /// Stores a task that a waiting claim may have taken (`offerToWaiter`); if the store fails, so does that
    /// claim. The caller resumes the waiter once the task is stored.
    func persist(_ task: MeshTask, handingTo waiter: ClaimWaiter?) async throws {
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        do {
            try await persist(mutations)
        } catch {
            waiter?.continuation.resume(throwing: error)
            throw error
        }
    }

    /// Tasks in submission order, a page at a time.
    func listTasks(after cursor: String? = nil, limit: Int? = nil) -> Page<MeshTask> {
        Page(Array(tasks.values), key: { Page<MeshTask>.key(time: $0.createdAt, id: $0.id) }, after: cursor, limit: limit)
    }

    /// The newest `count` tasks, oldest first: the hub's snapshot window.
    public func recentTasks(_ count: Int) -> [MeshTask] {
        Array(tasks.values.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(count).reversed())
    }

    public func task(_ id: String) -> MeshTask? {
        tasks[id]
    }

    /// Completes, fails or rejects an assigned task, or has it ask its submitter for input; only its assignee's
    /// owner (or an admin) may.
    public func updateTask(_ id: String, _ update: TaskUpdate, by identity: Identity) async throws {
        guard var task = tasks[id] else { throw APIError.notFound("task not found") }
        try identity.requireAgentOrAdmin()
        if !identity.isAdmin {
            guard !task.assignedAgentId.isEmpty, owners[task.assignedAgentId]?.owner == identity.peerId else {
                throw APIError.forbidden("task '\(id)' is not assigned to an agent of this credential")
            }
        }
        guard [.completed, .failed, .inputRequired, .rejected].contains(update.state), task.state.canMove(to: update.state) else {
            throw APIError.conflict("cannot move task from \(task.state.rawValue) to \(update.state.rawValue)")
        }
        task.state = update.state
        task.result = update.result
        task.error = update.error
        task.updatedAt = clock()
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        // The agent has a free slot again: a long-poll it has waiting takes the next pending task now.
        let handedOut = fillWaitingClaim(of: task.assignedAgentId, now: task.updatedAt, into: &mutations)
        do {
            try await persist(mutations)
        } catch {
            handedOut?.waiter.continuation.resume(throwing: error)
            throw error
        }
        logger.debug("task finished", metadata: ["task_id": "\(id)", "state": "\(task.state.rawValue)"])
        events.publish(.task(task))
        if let handedOut {
            handedOut.waiter.continuation.resume(returning: handedOut.tasks)
            for task in handedOut.tasks { events.publish(.task(task)) }
        }
    }

    /// The next turn of a task that asked its submitter for input: the earlier request and the question become
    /// a turn of its history, `payload` the new request, and the task goes back to pending (to any agent that
    /// may take it, as at first). Only its submitter (or an admin) may.
    public func continueTask(_ id: String, payload: JSONValue, by identity: Identity) async throws -> MeshTask {
        guard var task = tasks[id] else { throw APIError.notFound("task not found") }
        guard identity.submittedOrAdmin(task) else {
            throw APIError.forbidden("only the task's submitter or an admin may continue task '\(id)'")
        }
        guard task.state == .inputRequired else {
            throw APIError.conflict("task '\(id)' is \(task.state.rawValue) and takes no further messages")
        }
        let now = clock()
        task.turns.append(TaskTurn(request: task.payload, reply: task.result, at: now))
        task.payload = payload
        task.result = ""
        task.state = .pending
        task.assignedAgentId = ""
        task.updatedAt = now
        let waiter = offerToWaiter(&task)
        try await persist(task, handingTo: waiter)
        logger.debug("task continued", metadata: ["task_id": "\(id)", "turn": "\(task.turns.count + 1)"])
        waiter?.continuation.resume(returning: [task])
        events.publish(.task(task))
        return task
    }

    /// Passes on the answer so far of an assigned task (not stored); only its assignee's owner (or an admin) may.
    public func reportProgress(_ id: String, _ progress: TaskProgress, by identity: Identity) throws {
        guard let task = tasks[id] else { throw APIError.notFound("task not found") }
        try identity.requireAgentOrAdmin()
        guard identity.isAdmin || (!task.assignedAgentId.isEmpty && owners[task.assignedAgentId]?.owner == identity.peerId) else {
            throw APIError.forbidden("task '\(id)' is not assigned to an agent of this credential")
        }
        guard task.state == .assigned else { throw APIError.conflict("task '\(id)' is \(task.state.rawValue), not being worked on") }
        events.publish(.taskProgress(id, text: progress.text))
        store.replication?.send(.progress(taskId: id, text: progress.text))
    }

    /// Cancels a pending, assigned or input-required task; only its submitter (or an admin) may. An agent still working on it
    /// learns when its report is refused.
    public func cancelTask(_ id: String, by identity: Identity) async throws -> MeshTask {
        guard var task = tasks[id] else { throw APIError.notFound("task not found") }
        guard identity.submittedOrAdmin(task) else {
            throw APIError.forbidden("only the task's submitter or an admin may cancel task '\(id)'")
        }
        guard task.state.canMove(to: .canceled) else { throw APIError.conflict("task '\(id)' is \(task.state.rawValue) and can no longer be canceled") }
        if task.state == .assigned { canceledAssignments[task.assignedAgentId, default: []].insert(id) }
        task.state = .canceled
        task.error = "canceled by \(identity.peerId)"
        task.updatedAt = clock()
        var mutations: [StoreMutation] = []
        store(task, into: &mutations)
        let handedOut = task.assignedAgentId.isEmpty ? nil : fillWaitingClaim(of: task.assignedAgentId, now: task.updatedAt, into: &mutations)
        // A long-poll its agent has waiting ends now, so the agent hears of the cancellation at once.
        let woken = handedOut == nil ? claimWaiters.first(where: { $0.value.agentId == task.assignedAgentId && !task.assignedAgentId.isEmpty }) : nil
        if let woken { claimWaiters[woken.key] = nil }
        do {
            try await persist(mutations)
        } catch {
            handedOut?.waiter.continuation.resume(throwing: error)
            woken?.value.continuation.resume(throwing: error)
            throw error
        }
        logger.debug("task canceled", metadata: ["task_id": "\(id)", "by": "\(identity.peerId)"])
        events.publish(.task(task))
        woken?.value.continuation.resume(returning: [])
        if let handedOut {
            handedOut.waiter.continuation.resume(returning: handedOut.tasks)
            for task in handedOut.tasks { events.publish(.task(task)) }
        }
        return task
    }

    /// The ids of `agentId`'s assigned tasks canceled since it last heard, now told.
    func takeCanceledAssignments(of agentId: String) -> [String] {
        canceledAssignments.removeValue(forKey: agentId).map { $0.sorted() } ?? []
    }

    /// The tasks `identity` may see over A2A: an admin's all, anyone else's those it submitted.
    public func tasks(visibleTo identity: Identity) -> [MeshTask] {
        tasks.values.filter(identity.submittedOrAdmin)
    }

    /// Assigns pending tasks to a long-poll `agentId` has waiting, if any fit its free slots; the waiter is
    /// removed and returned with them, to be resumed once they are stored.
    func fillWaitingClaim(of agentId: String, now: Double, into mutations: inout [StoreMutation]) -> (waiter: ClaimWaiter, tasks: [MeshTask])? {
        guard let (waiterId, waiter) = claimWaiters.first(where: { $0.value.agentId == agentId }),
            now - (agents[agentId]?.lastHeartbeat ?? 0) < limits.taskLeaseSeconds
        else { return nil }
        let tasks = assignPending(to: agentId, skills: waiter.skills, now: now, into: &mutations)
        guard !tasks.isEmpty else { return nil }
        claimWaiters[waiterId] = nil
        return (waiter, tasks)
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
        // A cancellation the agent has not heard of yet is news enough to answer at once.
        if !ready.isEmpty || waitMs == 0 || canceledAssignments[request.agentId] != nil {
            try await persist(mutations)
            for task in ready { events.publish(.task(task)) }
            return ready
        }
        let waiting = claimWaiters.values.filter { $0.credential == identity.peerId }.count
        guard identity.isAdmin || waiting < limits.waitingClaimsPerCredential else {
            throw APIError(.tooManyRequests, "this credential already has \(waiting) waiting claims, the limit", retryAfterSeconds: 1)
        }
        let waiterId = UUID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                claimWaiters[waiterId] = ClaimWaiter(agentId: request.agentId, skills: skills, credential: identity.peerId, continuation: continuation)
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
