import MeshProtocol

/// One typed parameter of a skill (`skill.json` `parameters.<name>`).
public struct SkillParameter: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case string, integer, number, boolean
    }

    public var name: String
    public var kind: Kind
    public var description: String
    public var required: Bool
    public var defaultValue: JSONValue?

    public init(name: String, kind: Kind, description: String = "", required: Bool = false, defaultValue: JSONValue? = nil) {
        self.name = name
        self.kind = kind
        self.description = description
        self.required = required
        self.defaultValue = defaultValue
    }

    /// Whether `value` has this parameter's type (an integer must be a whole number).
    func accepts(_ value: JSONValue) -> Bool {
        switch (kind, value) {
        case (.string, .string), (.boolean, .bool), (.number, .number): true
        case (.integer, .number(let number)): number.rounded() == number && abs(number) < 1e15
        default: false
        }
    }
}
