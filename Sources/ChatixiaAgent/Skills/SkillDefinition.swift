import MeshProtocol

/// What a skill is called, what it does and which parameters it takes; the LLM sees it as a tool.
public struct SkillDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: [SkillParameter]
    /// The skill's own JSON Schema for its arguments, when it comes with one (an MCP tool's `inputSchema`):
    /// the LLM sees it as is, and arguments it declares that `parameters` cannot express pass through unchecked.
    public var inputSchema: JSONValue?
    /// Who may run it (`SkillAccess` rules: peer ids and `role:` entries); empty = any authenticated member.
    public var access: [String] = []
    /// Tags, examples and media types for the mesh's A2A card (`skill.json`).
    public var card = SkillCardDetails()

    public init(name: String, description: String, parameters: [SkillParameter] = []) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// Checks `arguments` against the parameters and fills in defaults; unknown keys are dropped (callers such
    /// as delegations send extra fields like `skill`), except `previous_turns`. Every problem is reported at once.
    public func validate(_ arguments: [String: JSONValue]) throws(SkillError) -> [String: JSONValue] {
        var checked: [String: JSONValue] = [:]
        var problems: [String] = []
        for parameter in parameters {
            switch arguments[parameter.name] {
            case nil, .null?:
                if let fallback = parameter.defaultValue {
                    checked[parameter.name] = fallback
                } else if parameter.required {
                    problems.append("missing required parameter '\(parameter.name)' (\(parameter.kind.rawValue))")
                }
            case let value?:
                if parameter.accepts(value) {
                    checked[parameter.name] = value
                } else {
                    problems.append("parameter '\(parameter.name)' must be \(Self.article(parameter.kind)), got \(Self.describe(value))")
                }
            }
        }
        if case .object(let declared)? = inputSchema?["properties"] {
            let required = Set(inputSchema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            for key in declared.keys.sorted() where !parameters.contains(where: { $0.name == key }) {
                if let value = arguments[key] {
                    checked[key] = value
                } else if required.contains(key) {
                    problems.append("missing required parameter '\(key)'")
                }
            }
        }
        guard problems.isEmpty else { throw .invalidArguments(skill: name, problems: problems) }
        // A skill that asked for input gets the conversation so far along with the answer.
        if let turns = arguments[MeshTask.previousTurnsArgument] { checked[MeshTask.previousTurnsArgument] = turns }
        return checked
    }

    static func article(_ kind: SkillParameter.Kind) -> String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let number): "the number \(number)"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The OpenAI tool (function) schema for this skill.
    public var toolSchema: JSONValue {
        .object([
            "type": .string("function"),
            "function": .object(["name": .string(name), "description": .string(description), "parameters": inputSchema ?? parametersSchema]),
        ])
    }

    /// The JSON Schema of `parameters`.
    var parametersSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for parameter in parameters {
            var property: [String: JSONValue] = ["type": .string(parameter.kind.rawValue)]
            if !parameter.description.isEmpty { property["description"] = .string(parameter.description) }
            if let fallback = parameter.defaultValue { property["default"] = fallback }
            properties[parameter.name] = .object(property)
        }
        let required = parameters.filter { $0.required && $0.defaultValue == nil }.map { JSONValue.string($0.name) }
        return .object(["type": .string("object"), "properties": .object(properties), "required": .array(required)])
    }
}
