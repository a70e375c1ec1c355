/// A `skill_query`'s payload: which skill the asker looks for, if any.
public struct SkillQueryPayload: Sendable, Equatable {
    public var skill: String?

    public init(skill: String?) {
        self.skill = skill
    }

    public init(_ payload: JSONValue) {
        skill = payload["skill"]?.stringValue
    }

    public var json: JSONValue {
        skill.map { .object(["skill": .string($0)]) } ?? .object([:])
    }
}
