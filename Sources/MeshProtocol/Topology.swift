/// One agent in the mesh topology.
public struct TopologyNode: Sendable, Hashable, Codable {
    public var agentId: String
    public var ip: String
    public var port: Int
    public var hostname: String
    public var sidecarPeerId: String
    public var mode: String
    public var skillsCount: Int
    public var health: AgentHealth
    public var meshPeers: [String]

    public init(agentId: String, ip: String, port: Int, hostname: String, sidecarPeerId: String, mode: String, skillsCount: Int, health: AgentHealth, meshPeers: [String]) {
        self.agentId = agentId
        self.ip = ip
        self.port = port
        self.hostname = hostname
        self.sidecarPeerId = sidecarPeerId
        self.mode = mode
        self.skillsCount = skillsCount
        self.health = health
        self.meshPeers = meshPeers
    }

    enum CodingKeys: String, CodingKey {
        case agentId = "agent_id", ip, port, hostname, sidecarPeerId = "sidecar_peer_id", mode
        case skillsCount = "skills_count", health, meshPeers = "mesh_peers"
    }
}

/// An observed DataChannel between two sidecars.
public struct TopologyEdge: Sendable, Hashable, Codable {
    public var fromPeer: String
    public var toPeer: String

    public init(fromPeer: String, toPeer: String) {
        self.fromPeer = fromPeer
        self.toPeer = toPeer
    }

    enum CodingKeys: String, CodingKey { case fromPeer = "from_peer", toPeer = "to_peer" }
}

/// `GET /api/hub/network/topology`.
public struct Topology: Sendable, Hashable, Codable {
    public var nodes: [TopologyNode]
    public var meshEdges: [TopologyEdge]

    public init(nodes: [TopologyNode], meshEdges: [TopologyEdge]) {
        self.nodes = nodes
        self.meshEdges = meshEdges
    }

    enum CodingKeys: String, CodingKey { case nodes, meshEdges = "mesh_edges" }
}
