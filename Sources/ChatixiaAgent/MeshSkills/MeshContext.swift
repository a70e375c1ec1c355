import Logging

/// What the built-in mesh skills work with: who we are, the registry, and the sidecar connection.
public struct MeshContext: Sendable {
    public let agentId: String
    public let registry: RegistryClient
    public let mesh: MeshClient
    /// How long a waiting delegation waits for its result (upstream: 120 s).
    public let delegationTimeout: Duration
    let logger: Logger

    public init(agentId: String, registry: RegistryClient, mesh: MeshClient, delegationTimeout: Duration = .seconds(120), logger: Logger) {
        self.agentId = agentId
        self.registry = registry
        self.mesh = mesh
        self.delegationTimeout = delegationTimeout
        self.logger = logger
    }

    /// The peer id of `agentId`'s sidecar if a DataChannel to it is open right now.
    /// Resolved from the registry's record (upstream guessed `<agent>-sidecar`, which never matched).
    func connectedPeer(of agentId: String) async throws -> String? {
        guard let record = try await registry.agent(agentId), !record.sidecarPeerId.isEmpty else { return nil }
        return await mesh.isConnected(to: record.sidecarPeerId) ? record.sidecarPeerId : nil
    }
}

extension MeshContext {
    /// The built-in mesh skills named in the manifest, in that order (`user_intervention` is the runtime's, since it needs the LLM).
    public func builtinSkills(_ names: [String]) -> [any Skill] {
        names.compactMap { name -> (any Skill)? in
            switch name {
            case "delegate": DelegateSkill(context: self)
            case "list_agents": ListAgentsSkill(context: self)
            case "find_agent": FindAgentSkill(context: self)
            case "mesh_send": MeshSendSkill(context: self)
            case "mesh_broadcast": MeshBroadcastSkill(context: self)
            default: nil
            }
        }
    }
}
