import Hummingbird
import MeshProtocol

extension RegistryServices {
    func addAgentRoutes(to api: RouterGroup<RegistryContext>) {
        api.get("registry/agents") { request, _ in
            let (cursor, limit) = try request.pageQuery()
            return try pagedResponse(await state.listAgents(after: cursor, limit: limit))
        }
        api.post("registry/agents") { request, context in
            let identity = try context.requireIdentity()
            let registration = try await request.decodeJSON(AgentRegistration.self, context: context)
            try await state.register(registration, by: identity)
            return try jsonResponse(StatusReply.ok)
        }
        api.get("registry/agents/:id") { _, context in
            let id = try context.pathParameter("id")
            guard let agent = await state.agent(id) else { throw APIError.notFound("agent not found") }
            return try jsonResponse(agent)
        }
        api.delete("registry/agents/:id") { _, context in
            let identity = try context.requireIdentity()
            try await state.deleteAgent(try context.pathParameter("id"), by: identity)
            return try jsonResponse(StatusReply.ok)
        }
        // Admin: transfer an agent id to another credential subject, or release it.
        api.put("registry/agents/:id/owner") { request, context in
            let identity = try context.requireIdentity()
            let body = try await request.decodeJSON(OwnerChange.self, context: context)
            try await state.setOwner(of: try context.pathParameter("id"), to: body.owner, by: identity)
            return try jsonResponse(StatusReply.ok)
        }
        api.delete("registry/agents/:id/owner") { _, context in
            let identity = try context.requireIdentity()
            try await state.setOwner(of: try context.pathParameter("id"), to: nil, by: identity)
            return try jsonResponse(StatusReply.ok)
        }
        api.get("registry/route") { request, _ in
            guard let skill = request.uri.queryParameters.get("skill"), !skill.isEmpty else {
                throw APIError.badRequest("query parameter 'skill' is required")
            }
            guard let agent = await state.route(skill: skill) else {
                throw APIError.notFound("no agent found with skill")
            }
            return try jsonResponse(agent)
        }
        api.post("hub/heartbeat") { request, context in
            let identity = try context.requireIdentity()
            let beat = try await request.decodeJSON(Heartbeat.self, context: context)
            let answer = try await state.heartbeat(beat, by: identity)
            if answer.pendingTasks.isEmpty && answer.canceledTasks.isEmpty { return Self.idleHeartbeatResponse }
            return try jsonResponse(answer)
        }
        api.get("hub/network/topology") { _, _ in
            try jsonResponse(await state.topology())
        }
    }

    struct OwnerChange: Decodable {
        let owner: String
    }

    /// The answer to nearly every heartbeat, encoded once.
    static let idleHeartbeatResponse = try! jsonResponse(HeartbeatAnswer(pendingTasks: []))

}
