/// An `agent_status`'s payload: who the agent says it is, its status and skills (sent to each peer that connects).
public struct AgentStatusPayload: Sendable, Equatable {
    public var agentId: String
    public var status: String
    public var skills: [String]

    public init(agentId: String, status: String, skills: [String]) {
        self.agentId = agentId
        self.status = status
        self.skills = skills
    }

    public init(_ payload: JSONValue) {
        agentId = payload["agent_id"]?.stringValue ?? ""
        status = payload["status"]?.stringValue ?? ""
        skills = payload["skills"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public var json: JSONValue {
        .object(["agent_id": .string(agentId), "status": .string(status), "skills": .array(skills.map(JSONValue.string))])
    }
}
