import Foundation
import MCP
import MeshProtocol

/// How an MCP tool becomes a skill and how its answer becomes a skill's text: pure functions, no I/O.
enum MCPToolMapping {
    /// The skill for `tool`: the tool's name and description, its JSON Schema kept whole for the LLM, and the
    /// properties our `SkillParameter` can express (string, integer, number, boolean, also nullable) checked
    /// before every call. Other properties (arrays, objects, unions) pass through unchecked.
    static func definition(for tool: Tool, name: String) -> SkillDefinition {
        let schema = json(from: tool.inputSchema)
        var definition = SkillDefinition(name: name, description: tool.description ?? "", parameters: parameters(from: schema))
        definition.inputSchema = schema
        return definition
    }

    static func parameters(from schema: JSONValue) -> [SkillParameter] {
        guard case .object(let properties)? = schema["properties"] else { return [] }
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var parameters: [SkillParameter] = []
        for name in properties.keys.sorted() {
            guard let property = properties[name], let (kind, nullable) = kind(of: property) else { continue }
            // A nullable parameter may be sent as null, which our validation treats as absent: not required then.
            var parameter = SkillParameter(
                name: name, kind: kind, description: property["description"]?.stringValue ?? "", required: required.contains(name) && !nullable)
            if let fallback = property["default"], fallback != .null, parameter.accepts(fallback) { parameter.defaultValue = fallback }
            parameters.append(parameter)
        }
        return parameters
    }

    /// A property's type when it is one of ours: `{"type": T}`, `{"type": [T, "null"]}`, or pydantic's
    /// `{"anyOf": [{"type": T}, {"type": "null"}]}` for optional arguments.
    static func kind(of property: JSONValue) -> (SkillParameter.Kind, nullable: Bool)? {
        var types: [String]
        switch property["type"] {
        case .string(let type)?: types = [type]
        case .array(let list)?: types = list.compactMap(\.stringValue)
        default:
            guard let options = (property["anyOf"] ?? property["oneOf"])?.arrayValue else { return nil }
            types = options.compactMap { $0["type"]?.stringValue }
            guard types.count == options.count else { return nil }
        }
        let nullable = types.contains("null")
        types.removeAll { $0 == "null" }
        guard types.count == 1, let kind = SkillParameter.Kind(rawValue: types[0]) else { return nil }
        return (kind, nullable)
    }

    /// The text a caller gets: text parts joined by newlines, other parts described, the structured result
    /// as JSON when there is no text. A result flagged `isError` is thrown as the skill's failure.
    static func text(of result: CallTool.Result, skill: String) throws(SkillError) -> String {
        var parts: [String] = []
        for content in result.content {
            switch content {
            case .text(let text, _, _): parts.append(text)
            case .image(let data, let mimeType, _, _): parts.append("[image \(mimeType), \(data.count) base64 characters]")
            case .audio(let data, let mimeType, _, _): parts.append("[audio \(mimeType), \(data.count) base64 characters]")
            case .resource(let resource, _, _): parts.append(resource.text ?? "[resource \(resource.uri)]")
            case .resourceLink(let uri, let name, _, _, _, _): parts.append("[resource link \(name): \(uri)]")
            }
        }
        var text = parts.joined(separator: "\n")
        if parts.isEmpty, let structured = result.structuredContent {
            text = String(decoding: (try? JSONEncoder().encode(json(from: structured))) ?? Data(), as: UTF8.self)
        }
        if result.isError == true { throw .failed(skill: skill, reason: text.isEmpty ? "the tool reported an error" : text) }
        return text
    }

    // MARK: values

    /// Arguments for `tools/call`: whole numbers go as integers (a Python `int` parameter refuses `2.0`).
    static func value(from json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): number.rounded() == number && abs(number) < 9.007_199_254_740_992e15 ? .int(Int(number)) : .double(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(value(from:)))
        case .object(let fields): .object(fields.mapValues(value(from:)))
        }
    }

    static func json(from value: Value) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .number(Double(number))
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .data(let mimeType, let data): .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let items): .array(items.map(json(from:)))
        case .object(let fields): .object(fields.mapValues(json(from:)))
        }
    }
}
