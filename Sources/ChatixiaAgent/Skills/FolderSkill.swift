import Foundation
import MeshProtocol

/// A skill folder in the `chatixia-agent` format: `skill.json`, then a handler run as a subprocess that gets
/// the arguments as JSON on stdin and answers on stdout (UPSTREAM.md §5).
public struct FolderSkill: Skill {
    public enum Handler: Sendable, Equatable {
        /// `handler.py` with `handle(**kwargs) -> str`, run by a small Python shim.
        case python(URL)
        /// `skill.json`'s `handler.command`: a program and its arguments.
        case command([String])
        /// An executable file called `handler`.
        case executable(URL)
    }

    public static let outputLimit = 256 << 10

    public let definition: SkillDefinition
    public let folder: URL
    public let handler: Handler
    /// The agent's environment: where the handler's interpreter is found, and the source of the variables
    /// the handler gets (`ChildEnvironment`: the baseline plus those `skill.json` names in `"env"`).
    let environment: [String: String]
    /// The variables `skill.json` asks for by name (`"env": ["WEATHER_API_KEY"]`).
    public let declaredEnvironment: [String]
    /// A handler still running after this is stopped (SIGTERM, then SIGKILL).
    public var timeout = Duration.seconds(30)
    /// The processes keeping a `handler.py` loaded (nil for other handlers, which start per call).
    private let pythonWorkers: PythonWorkerPool?

    /// Loads `folder/skill.json` and finds the handler.
    public init(folder: URL, environment: [String: String]) throws(SkillError) {
        let file = folder.appendingPathComponent("skill.json")
        let object: [String: JSONValue]
        do {
            let parsed = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file))
            guard case .object(let fields) = parsed else { throw SkillError.invalidDefinition(path: file.path, problem: "must be a JSON object") }
            object = fields
        } catch let error as SkillError {
            throw error
        } catch {
            throw .invalidDefinition(path: file.path, problem: "cannot read it as JSON (\(error))")
        }
        guard let name = object["name"]?.stringValue, !name.isEmpty else {
            throw .invalidDefinition(path: file.path, problem: "\"name\" is required and must be a non-empty string")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), name.count <= 64 else {
            throw .invalidDefinition(path: file.path, problem: "\"name\" may only hold letters, digits, '_' and '-' (it becomes an LLM tool name)")
        }
        let parameters = try Self.parameters(object["parameters"], file: file)
        var definition = SkillDefinition(name: name, description: object["description"]?.stringValue ?? "", parameters: parameters)
        definition.access = try Self.names(object["allow"], field: "allow", what: "peer ids or role:<admin|hub|agent> entries", file: file)
        definition.card = SkillCardDetails(
            tags: try Self.names(object["tags"], field: "tags", what: "words", file: file),
            examples: try Self.texts(object["examples"], field: "examples", file: file),
            inputModes: try Self.names(object["input_modes"], field: "input_modes", what: "media types", file: file),
            outputModes: try Self.names(object["output_modes"], field: "output_modes", what: "media types", file: file))
        if let bad = SkillAccess.invalidRules(definition.access).first {
            throw .invalidDefinition(path: file.path, problem: "\"allow\" entry '\(bad)' names no role (role:admin, role:hub or role:agent)")
        }
        self.definition = definition
        self.folder = folder
        self.environment = environment
        declaredEnvironment = try Self.names(object["env"], field: "env", what: "environment variable names", file: file)
        handler = try Self.handler(in: folder, declared: object["handler"]?["command"], file: file)
        if case .python(let file) = handler { pythonWorkers = PythonWorkerPool(handler: file, folder: folder) } else { pythonWorkers = nil }
    }

    /// A `skill.json` list of names (`env`, `allow`).
    static func names(_ raw: JSONValue?, field: String, what: String, file: URL) throws(SkillError) -> [String] {
        guard let raw, raw != .null else { return [] }
        guard let names = raw.arrayValue?.compactMap(\.stringValue), names.count == raw.arrayValue?.count,
            names.allSatisfy({ !$0.isEmpty && !$0.contains("=") })
        else {
            throw .invalidDefinition(path: file.path, problem: "\"\(field)\" must be a list of \(what)")
        }
        return names
    }

    /// A `skill.json` list of non-empty texts (`examples`).
    static func texts(_ raw: JSONValue?, field: String, file: URL) throws(SkillError) -> [String] {
        guard let raw, raw != .null else { return [] }
        guard let texts = raw.arrayValue?.compactMap(\.stringValue), texts.count == raw.arrayValue?.count, texts.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidDefinition(path: file.path, problem: "\"\(field)\" must be a list of non-empty strings")
        }
        return texts
    }

    static func parameters(_ raw: JSONValue?, file: URL) throws(SkillError) -> [SkillParameter] {
        guard let raw, raw != .null else { return [] }
        guard case .object(let table) = raw else {
            throw .invalidDefinition(path: file.path, problem: "\"parameters\" must be an object of name: {type, description, required, default}")
        }
        var parameters: [SkillParameter] = []
        for name in table.keys.sorted() {
            guard case .object(let spec)? = table[name] else {
                throw .invalidDefinition(path: file.path, problem: "parameters.\(name) must be an object")
            }
            let typeName = spec["type"]?.stringValue ?? "string"
            guard let kind = SkillParameter.Kind(rawValue: typeName) else {
                throw .invalidDefinition(path: file.path, problem: "parameters.\(name).type \"\(typeName)\" is not one of string, integer, number, boolean")
            }
            var parameter = SkillParameter(name: name, kind: kind, description: spec["description"]?.stringValue ?? "", required: spec["required"] == .bool(true))
            if let value = spec["default"], value != .null {
                guard parameter.accepts(value) else {
                    throw .invalidDefinition(path: file.path, problem: "parameters.\(name).default does not match its type \(typeName)")
                }
                parameter.defaultValue = value
            }
            parameters.append(parameter)
        }
        return parameters
    }

    static func handler(in folder: URL, declared command: JSONValue?, file: URL) throws(SkillError) -> Handler {
        let python = folder.appendingPathComponent("handler.py")
        if FileManager.default.fileExists(atPath: python.path) { return .python(python) }
        if let command {
            let parts = command.arrayValue?.compactMap(\.stringValue) ?? []
            guard parts.count == command.arrayValue?.count, !parts.isEmpty, !parts[0].isEmpty else {
                throw .invalidDefinition(path: file.path, problem: "handler.command must be a non-empty list of strings such as [\"node\", \"handler.js\"]")
            }
            return .command(parts)
        }
        let executable = folder.appendingPathComponent("handler")
        if FileManager.default.isExecutableFile(atPath: executable.path) { return .executable(executable) }
        throw .invalidDefinition(path: folder.path, problem: "no handler: add handler.py, handler.command in skill.json, or an executable file named handler")
    }

    /// The program and its arguments; for handler.py the interpreter alone (its workers add the shim and the file).
    func commandLine() throws(SkillError) -> (URL, [String]) {
        switch handler {
        case .python:
            let interpreter = environment["CHATIXIA_PYTHON"] ?? "python3"
            guard let python = ChildProcess.which(interpreter, path: environment["PATH"]) else {
                throw .failed(skill: definition.name, reason: "handler.py needs \(interpreter), which is not on PATH (set CHATIXIA_PYTHON)")
            }
            return (python, [])
        case .command(let parts):
            let program = parts[0].contains("/") ? folder.appendingPathComponent(parts[0]).path : parts[0]
            guard let executable = parts[0].hasPrefix("/") ? URL(fileURLWithPath: parts[0]) : ChildProcess.which(program, path: environment["PATH"]) else {
                throw .failed(skill: definition.name, reason: "handler.command program \(parts[0]) was not found")
            }
            return (executable, Array(parts.dropFirst()))
        case .executable(let file):
            return (file, [])
        }
    }

    public func run(_ arguments: [String: JSONValue]) async throws -> String {
        try await run(arguments, onDelta: nil)
    }

    /// A `handler.py` whose `handle` is a generator answers in pieces: each yielded piece goes to `onDelta`.
    public func run(_ arguments: [String: JSONValue], onDelta: ChatCompletionClient.DeltaHandler?) async throws -> String {
        let (executable, commandArguments) = try commandLine()
        let input = try JSONEncoder().encode(JSONValue.object(arguments))
        let childEnvironment = ChildEnvironment.make(
            from: environment, passing: declaredEnvironment + AgentRuntime.skillVariables, setting: ["CHATIXIA_SKILL_DIR": folder.path])
        if let pythonWorkers {
            switch try await pythonWorkers.call(input, python: executable, environment: childEnvironment, timeout: timeout, onDelta: onDelta) {
            case .result(let text):
                let output = Data(text.utf8)
                return Self.text(of: output.prefix(Self.outputLimit), truncated: output.count > Self.outputLimit)
            case .raised(let traceback): throw SkillError.failed(skill: definition.name, reason: "handler raised: \(Self.tail(traceback))")
            case .timedOut: throw SkillError.timedOut(skill: definition.name, seconds: timeout.inSeconds)
            case .exited(let errorOutput):
                throw SkillError.failed(skill: definition.name, reason: "handler.py's process ended" + (Self.tail(errorOutput).isEmpty ? "" : ": \(Self.tail(errorOutput))"))
            }
        }
        let outcome = try await ChildProcess.run(
            executable, arguments: commandArguments, input: input, environment: childEnvironment, directory: folder,
            timeout: timeout, outputLimit: Self.outputLimit)
        if outcome.timedOut { throw SkillError.timedOut(skill: definition.name, seconds: timeout.inSeconds) }
        guard outcome.status == 0 else {
            let detail = Self.tail(String(decoding: outcome.errorOutput, as: UTF8.self))
            throw SkillError.failed(skill: definition.name, reason: "handler exited with status \(outcome.status)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        return Self.text(of: outcome.output, truncated: outcome.outputTruncated)
    }

    /// A handler's answer (at most `outputLimit` bytes) as the skill's result: one trailing line break
    /// dropped, and a note when the handler said more.
    static func text(of output: Data, truncated: Bool) -> String {
        var text = String(decoding: output, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        if truncated { text += "\n[output truncated at \(outputLimit) bytes]" }
        return text
    }

    /// The end of an error text (the last 800 bytes, trimmed), where a traceback says what went wrong.
    static func tail(_ text: String) -> String {
        String(decoding: Data(text.utf8).suffix(800), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
