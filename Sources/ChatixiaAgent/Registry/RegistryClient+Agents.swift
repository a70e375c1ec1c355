import MeshProtocol

extension RegistryClient {
    /// Exchanges the credential for a JWT; its `peer_id` is the sidecar's peer id on the mesh.
    public func token() async throws -> TokenGrant {
        try await call(.POST, "/api/token", as: TokenGrant.self)
    }

    public func register(_ registration: AgentRegistration) async throws {
        _ = try await call(.POST, "/api/registry/agents", body: registration, as: StatusReply.self)
    }

    /// Sends a heartbeat; the registry answers with the pending tasks it just assigned to this agent and the
    /// ids of held tasks that were canceled.
    public func heartbeat(_ beat: Heartbeat) async throws -> HeartbeatAnswer {
        try await call(.POST, "/api/hub/heartbeat", body: beat, as: HeartbeatAnswer.self)
    }

    public func deregister(agentId: String) async throws {
        _ = try await call(.DELETE, "/api/registry/agents/\(Self.segment(agentId))", as: StatusReply.self)
    }

    public func agents() async throws -> [AgentRecord] {
        try await call(.GET, "/api/registry/agents", as: [AgentRecord].self)
    }

    /// One agent, or nil when the registry does not know it.
    public func agent(_ agentId: String) async throws -> AgentRecord? {
        do {
            return try await call(.GET, "/api/registry/agents/\(Self.segment(agentId))", as: AgentRecord.self)
        } catch RegistryError.notFound {
            return nil
        }
    }

    /// The active agent the registry routes `skill` to, or nil when none advertises it.
    public func route(skill: String) async throws -> AgentRecord? {
        do {
            return try await call(.GET, "/api/registry/route?skill=\(Self.queryValue(skill))", as: AgentRecord.self)
        } catch RegistryError.notFound {
            return nil
        }
    }
}
