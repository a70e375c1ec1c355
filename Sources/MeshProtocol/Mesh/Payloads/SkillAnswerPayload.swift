/// A `skill_response`'s payload: who answers, its skills, and whether it has the one asked about.
public struct SkillAnswerPayload: Sendable, Equatable {
    public var agentId: String
    public var skills: [String]
    public var hasSkill: Bool?

    public init(agentId: String, skills: [String], hasSkill: Bool?) {
        self.agentId = agentId
        self.skills = skills
        self.hasSkill = hasSkill
    }

    public init(_ payload: JSONValue) {
        agentId = payload["agent_id"]?.stringValue ?? ""
        skills = payload["skills"]?.arrayValue?.compactMap(\.stringValue) ?? []
        hasSkill = payload["has_skill"]?.boolValue
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["agent_id": .string(agentId), "skills": .array(skills.map(JSONValue.string))]
        if let hasSkill { fields["has_skill"] = .bool(hasSkill) }
        return .object(fields)
    }
}
