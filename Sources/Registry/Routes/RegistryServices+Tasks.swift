import Hummingbird
import MeshProtocol
import ServiceLifecycle

extension RegistryServices {
    func addTaskRoutes(to api: RouterGroup<RegistryContext>) {
        api.post("hub/tasks") { request, context in
            let identity = try context.requireIdentity()
            if !identity.isAdmin { try submissionLimiter.hit(identity.peerId) }
            let submission = try await request.decodeJSON(TaskSubmission.self, context: context)
            let id = try await state.submit(submission, by: identity)
            return try jsonResponse(TaskReceipt(taskId: id))
        }
        api.get("hub/tasks/all") { request, _ in
            let (cursor, limit) = try request.pageQuery()
            return try pagedResponse(await state.listTasks(after: cursor, limit: limit))
        }
        api.post("hub/tasks/claim") { request, context in
            let identity = try context.requireIdentity()
            let claim = try await request.decodeJSON(TaskClaim.self, context: context)
            // A shutdown ends waiting claims at once (with no task) instead of holding the exit for up to 30 s.
            let tasks = try await cancelWhenGracefulShutdown { try await state.claim(claim, by: identity) }
            return try jsonResponse(ClaimAnswer(tasks: tasks, canceledTasks: await state.takeCanceledAssignments(of: claim.agentId)))
        }
        api.get("hub/tasks/:id") { _, context in
            let id = try context.pathParameter("id")
            guard let task = await state.task(id) else { throw APIError.notFound("task not found") }
            return try jsonResponse(task)
        }
        api.post("hub/tasks/:id") { request, context in
            let identity = try context.requireIdentity()
            let id = try context.pathParameter("id")
            let update = try await request.decodeJSON(TaskUpdate.self, context: context)
            try await state.updateTask(id, update, by: identity)
            return try jsonResponse(StatusReply.ok)
        }
        api.post("hub/tasks/:id/progress") { request, context in
            let progress = try await request.decodeJSON(TaskProgress.self, context: context)
            try await state.reportProgress(try context.pathParameter("id"), progress, by: try context.requireIdentity())
            return try jsonResponse(StatusReply.ok)
        }
        api.post("hub/tasks/:id/cancel") { _, context in
            try jsonResponse(try await state.cancelTask(try context.pathParameter("id"), by: try context.requireIdentity()))
        }
        // chatixia-agent 0.1.2 reports results with PATCH; answer it clearly instead of a bare 404.
        api.patch("hub/tasks/:id") { _, _ -> Response in
            throw APIError(.methodNotAllowed, "update tasks with POST /api/hub/tasks/{id}")
        }
    }
}
