import Foundation
import MeshProtocol

extension AgentRuntime {
    /// Heartbeats every 15 s (first one at once; every 2 s while failing); tasks the registry assigns in its answer are run too.
    func heartbeatLoop(jobs: AsyncStream<Job>.Continuation) async {
        let start = ContinuousClock.now
        var failing = false
        while !Task.isCancelled {
            var beat = Heartbeat(agentId: agentId, hostname: ProcessInfo.processInfo.hostName, skillNames: skillNames)
            beat.status = "ready"
            beat.mode = "interactive"
            beat.skillsCount = skillNames.count
            beat.uptimeSeconds = Double((ContinuousClock.now - start).components.seconds)
            beat.maxConcurrentTasks = manifest.maxConcurrentTasks
            beat.heldTasks = await inFlight.held
            do {
                let answer = try await registry.heartbeat(beat)
                for task in answer.pendingTasks { schedule(task, jobs: jobs) }
                await stop(canceled: answer.canceledTasks)
                if failing { logger.notice("heartbeats are getting through again") }
                failing = false
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.warning("heartbeat failed; retrying every 2 s until it gets through", metadata: ["error": "\(error)"]) }
                failing = true
            }
            // While the registry is away (e.g. restarting), beat often, so the agent is back within seconds of its return.
            try? await Task.sleep(for: failing ? min(options.heartbeatInterval, .seconds(2)) : options.heartbeatInterval)
        }
    }

    /// Long-polls the registry so a task assigned to this agent starts the moment it is assigned.
    func claimLoop(jobs: AsyncStream<Job>.Continuation) async {
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let answer = try await registry.claim(agentId: agentId, waitMs: options.claimWaitMs)
                for task in answer.tasks { schedule(task, jobs: jobs) }
                await stop(canceled: answer.canceledTasks)
                backoff = .seconds(1)
            } catch is CancellationError {
                return
            } catch {
                var wait = backoff
                if case RegistryError.rateLimited(let retryAfter?, _) = error { wait = .seconds(retryAfter) }
                logger.warning("claiming tasks failed; retrying", metadata: ["error": "\(error)", "in": "\(wait)"])
                try? await Task.sleep(for: wait)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    /// Stops the tasks their submitter canceled (the registry tells in heartbeat and claim answers).
    func stop(canceled ids: [String]) async {
        for id in ids where await inFlight.cancel(id) {
            logger.notice("task canceled by its submitter; stopped", metadata: ["task_id": "\(id)"])
        }
    }

    func schedule(_ task: MeshTask, jobs: AsyncStream<Job>.Continuation) {
        jobs.yield(Job { await execute(task) })
    }

    /// Runs one queued task and reports how it went.
    func execute(_ task: MeshTask) async {
        let started = ContinuousClock.now
        let progress = ProgressReports(taskId: task.id, registry: registry)
        // The registry hands out no more than our capacity, so queue tasks wait for a slot rather than being refused.
        let work = Task {
            try await slots.run(agentId: agentId, mayRefuse: false) {
                try await perform(
                    skill: task.skill, payload: task.handlerPayload, from: task.sourceAgentId,
                    requester: task.submittedBy.map { Requester(peerId: $0.peerId, role: $0.role) }, onDelta: { await progress.add($0) })
            }
        }
        await inFlight.start(task.id, stop: { work.cancel() })
        let update: TaskUpdate
        do {
            update = TaskUpdate(skillResult: try await work.value)
        } catch {
            update = TaskUpdate(state: .failed, error: "\(error)")
        }
        await progress.finish()
        guard await inFlight.finish(task.id) else { return }
        logger.notice("task \(update.state.rawValue)", metadata: [
            "task_id": "\(task.id)", "skill": "\(task.skill)", "from": "\(task.sourceAgentId)", "ms": "\((ContinuousClock.now - started).inMilliseconds)",
        ])
        await report(task.id, update)
        await inFlight.reported(task.id)
    }

    /// Reports a result, retrying through a registry restart (up to `options.reportRetryWindow`, backing off
    /// to 5 s): losing it would leave the task assigned until its TTL runs out. A refusal (4xx) is final.
    func report(_ taskId: String, _ update: TaskUpdate) async {
        let deadline = ContinuousClock.now + options.reportRetryWindow
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await registry.report(taskId: taskId, update)
                if attempt > 1 { logger.notice("task result reported after retrying", metadata: ["task_id": "\(taskId)", "attempts": "\(attempt)"]) }
                return
            } catch {
                if let refusal = error as? RegistryError, refusal.isFinal {
                    return logger.warning("the registry refused a task result", metadata: ["task_id": "\(taskId)", "error": "\(error)"])
                }
                if attempt == 1 { logger.warning("reporting a task result failed; retrying", metadata: ["task_id": "\(taskId)", "error": "\(error)"]) }
                let wait = Duration.milliseconds(min(5_000, 250 << min(attempt, 5)))
                guard !Task.isCancelled, ContinuousClock.now + wait < deadline else {
                    return logger.error("giving up reporting a task result", metadata: ["task_id": "\(taskId)", "attempts": "\(attempt)", "error": "\(error)"])
                }
                try? await Task.sleep(for: wait)
            }
        }
    }
}

extension RegistryError {
    /// The registry answered and said no (retrying the same request cannot help); not a transport failure,
    /// a timeout, rate limiting or a 5xx.
    var isFinal: Bool {
        switch self {
        case .unauthorized, .forbidden, .notFound: true
        case .rejected(let status, _): (400..<500).contains(status)
        case .unreachable, .timedOut, .rateLimited, .badResponse: false
        }
    }
}
