import Foundation
import MeshProtocol
import Yams

extension Manifest {
    static let knownFields = [
        "name", "description", "registry", "provider", "model", "prompt", "sidecar", "skills", "data_dir", "max_turns", "max_concurrent_tasks", "access",
        "context_window", "mcp_servers", "a2a_agents",
    ]
    /// `chatixia-agent` fields this CLI reads past without using.
    static let foreignFields = ["goals", "hub", "env", "version"]

    /// Finds the manifest for a path: a file, or a directory holding `agent.yaml` / `agent.yml`.
    public static func locate(_ path: String) throws(ManifestLoadError) -> URL {
        let url = URL(fileURLWithPath: NSString(string: path).expandingTildeInPath).standardized
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw .notFound(path) }
        guard isDirectory.boolValue else { return url }
        for candidate in ["agent.yaml", "agent.yml"] {
            let file = url.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: file.path) { return file }
        }
        throw .noManifestInDirectory(path)
    }

    /// Reads and checks a manifest. Structural problems are issues in the report, not thrown errors.
    public static func load(_ path: String) throws(ManifestLoadError) -> ManifestReport {
        let file = try locate(path)
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw .unreadable(file.path, error.localizedDescription)
        }
        return try parse(text, file: file, displayName: path)
    }

    /// Parses manifest text; `displayName` is how issues name the file.
    public static func parse(_ text: String, file: URL, displayName: String? = nil) throws(ManifestLoadError) -> ManifestReport {
        let shown = displayName ?? file.path
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: shown)
        } catch {
            throw .syntax(file: shown, line: nil, column: nil, problem: "\(error)")
        }
        var reader = ManifestReader(file: shown)
        var manifest = Manifest(file: file)
        guard let root else { return ManifestReport(manifest: manifest, issues: [ManifestIssue(.warning, file: shown, field: "name", problem: "the manifest is empty; every field takes its default")]) }
        guard let mapping = root.mapping else { throw .notAMapping(shown) }
        reader.read(mapping, into: &manifest)
        reader.checkFiles(of: manifest)
        return ManifestReport(manifest: manifest, issues: reader.issues)
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ManifestLoadError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            .syntax(file: file, line: mark.line, column: mark.column, problem: problem)
        case .duplicatedKeysInMapping(let duplicates, _):
            .syntax(file: file, line: nil, column: nil, problem: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            .syntax(file: file, line: nil, column: nil, problem: "\(error)")
        }
    }
}

/// Walks the YAML tree field by field, collecting precise issues instead of stopping at the first.
struct ManifestReader {
    let file: String
    var issues: [ManifestIssue] = []

    init(file: String) { self.file = file }

    mutating func issue(_ severity: ManifestIssue.Severity, _ node: Node?, _ field: String, _ problem: String, allowed: String? = nil) {
        issues.append(ManifestIssue(severity, file: file, line: node?.mark?.line, column: node?.mark?.column, field: field, problem: problem, allowed: allowed))
    }

    mutating func read(_ root: Node.Mapping, into manifest: inout Manifest) {
        for (keyNode, value) in root {
            guard let key = keyNode.string else {
                issue(.error, keyNode, "(key)", "field names must be strings")
                continue
            }
            switch key {
            case "name":
                if let name = string(value, key, nonEmpty: true) {
                    if name.contains("/") || name.contains(where: \.isNewline) || name.count > 128 {
                        issue(.error, value, key, "\"\(name)\" cannot be an agent id", allowed: "up to 128 characters without '/' or line breaks")
                    } else {
                        manifest.name = name
                    }
                }
            case "description": manifest.description = string(value, key) ?? manifest.description
            case "registry":
                if let text = string(value, key, nonEmpty: true) {
                    let urls = Manifest.registryURLs(text)
                    let bad = urls.first { url in
                        guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""),
                              components.host?.isEmpty == false, components.query == nil
                        else { return true }
                        return false
                    }
                    if let bad {
                        issue(.error, value, key, "\"\(bad)\" is not a registry URL",
                              allowed: "an http:// or https:// URL such as http://localhost:8080, or several replicas' URLs separated by commas")
                    } else if urls.isEmpty {
                        issue(.error, value, key, "no registry URL", allowed: "an http:// or https:// URL such as http://localhost:8080")
                    } else {
                        manifest.registry = urls.joined(separator: ",")
                    }
                }
            case "provider":
                if let provider = string(value, key, nonEmpty: true) {
                    if Manifest.providers.contains(provider) {
                        manifest.provider = provider
                    } else {
                        issue(.error, value, key, "unknown provider \"\(provider)\"", allowed: Manifest.providers.joined(separator: ", "))
                    }
                }
            case "model": manifest.model = string(value, key) ?? manifest.model
            case "prompt": manifest.prompt = string(value, key) ?? manifest.prompt
            case "sidecar": readSidecar(value, into: &manifest.sidecar)
            case "skills": readSkills(value, into: &manifest.skills)
            case "data_dir": manifest.dataDir = string(value, key, nonEmpty: true) ?? manifest.dataDir
            case "max_turns": manifest.maxTurns = integer(value, key, in: 1...100) ?? manifest.maxTurns
            case "max_concurrent_tasks": manifest.maxConcurrentTasks = integer(value, key, in: 1...1_000) ?? manifest.maxConcurrentTasks
            case "context_window": manifest.contextWindow = integer(value, key, in: 1_000...10_000_000) ?? manifest.contextWindow
            case "mcp_servers": manifest.mcpServers = readMCPServers(value)
            case "a2a_agents": manifest.a2aAgents = readA2AAgents(value)
            case "access":
                guard let mapping = value.mapping else {
                    if value.null == nil { issue(.error, value, key, "must be a mapping of skill name to a list of peer ids or role: entries") }
                    break
                }
                for (skillNode, rules) in mapping {
                    let skill = skillNode.string ?? "?"
                    manifest.access[skill] = strings(rules, "access.\(skill)")
                    for bad in SkillAccess.invalidRules(manifest.access[skill] ?? []) {
                        issue(.error, rules, "access.\(skill)", "'\(bad)' names no role", allowed: "peer ids, role:admin, role:hub, role:agent")
                    }
                }
            default:
                if Manifest.foreignFields.contains(key) {
                    issue(.warning, keyNode, key, "a chatixia-agent field that this CLI does not use; ignored")
                } else {
                    issue(.warning, keyNode, key, "unknown field; ignored", allowed: Manifest.knownFields.joined(separator: ", "))
                }
            }
        }
    }

    mutating func readSidecar(_ node: Node, into sidecar: inout Manifest.Sidecar) {
        guard let mapping = node.mapping else {
            if node.null == nil { issue(.error, node, "sidecar", "must be a mapping", allowed: "binary, api_key, socket") }
            return
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? "?"
            let field = "sidecar.\(key)"
            switch key {
            case "binary": sidecar.binary = string(value, field, nonEmpty: true)
            case "api_key": sidecar.apiKey = string(value, field, nonEmpty: true)
            case "socket":
                if let path = string(value, field, nonEmpty: true) {
                    // sockaddr_un holds 107 path bytes plus the terminator.
                    if path.utf8.count > 107 {
                        issue(.error, value, field, "the path is \(path.utf8.count) bytes long", allowed: "a Unix socket path of at most 107 bytes")
                    } else {
                        sidecar.socket = path
                    }
                }
            default: issue(.warning, keyNode, field, "unknown field; ignored", allowed: "binary, api_key, socket")
            }
        }
    }

    mutating func readSkills(_ node: Node, into skills: inout Manifest.Skills) {
        if let sequence = node.sequence {
            skills.builtin = builtinNames(sequence, field: "skills")
            return
        }
        guard let mapping = node.mapping else {
            if node.null == nil {
                issue(.error, node, "skills", "must be a list of built-in skill names or a mapping", allowed: "a list, or builtin, dirs, disabled")
            }
            return
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? "?"
            let field = "skills.\(key)"
            switch key {
            case "builtin":
                if let sequence = value.sequence { skills.builtin = builtinNames(sequence, field: field) } else if value.null == nil {
                    issue(.error, value, field, "must be a list of skill names", allowed: Manifest.builtinSkillNames.joined(separator: ", "))
                }
            case "dirs": skills.dirs = strings(value, field)
            case "disabled": skills.disabled = strings(value, field)
            default: issue(.warning, keyNode, field, "unknown field; ignored", allowed: "builtin, dirs, disabled")
            }
        }
    }

    mutating func builtinNames(_ sequence: Node.Sequence, field: String) -> [String] {
        var names: [String] = []
        for (index, item) in sequence.enumerated() {
            guard let name = string(item, "\(field)[\(index)]", nonEmpty: true) else { continue }
            if Manifest.builtinSkillNames.contains(name) {
                names.append(name)
            } else {
                issue(.error, item, "\(field)[\(index)]", "unknown built-in skill \"\(name)\"; put your own skills in a folder listed under skills.dirs",
                      allowed: Manifest.builtinSkillNames.joined(separator: ", "))
            }
        }
        return names
    }

    mutating func readMCPServers(_ node: Node) -> [Manifest.MCPServer] {
        guard let mapping = node.mapping else {
            if node.null == nil { issue(.error, node, "mcp_servers", "must be a mapping of server name to settings", allowed: "name: {command, args, env, description, enabled}") }
            return []
        }
        var servers: [Manifest.MCPServer] = []
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? "?"
            let field = "mcp_servers.\(name)"
            guard let settings = value.mapping else {
                issue(.error, value, field, "must be a mapping", allowed: "command, args, env, description, enabled")
                continue
            }
            var server = Manifest.MCPServer(name: name, command: "")
            for (settingKey, setting) in settings {
                let key = settingKey.string ?? "?"
                switch key {
                case "command": server.command = string(setting, "\(field).command", nonEmpty: true) ?? ""
                case "args": server.args = strings(setting, "\(field).args")
                case "env":
                    if let env = setting.mapping {
                        for (envKey, envValue) in env {
                            if let k = envKey.string, let v = string(envValue, "\(field).env.\(k)") { server.env[k] = v }
                        }
                    } else {
                        issue(.error, setting, "\(field).env", "must be a mapping of variable names to values")
                    }
                case "description": server.description = string(setting, "\(field).description") ?? ""
                case "enabled": server.enabled = boolean(setting, "\(field).enabled") ?? true
                default: issue(.warning, settingKey, "\(field).\(key)", "unknown field; ignored", allowed: "command, args, env, description, enabled")
                }
            }
            if server.command.isEmpty {
                if settings["command"] == nil { issue(.error, value, "\(field).command", "is required", allowed: "the program that starts the MCP server, such as npx") }
                continue
            }
            servers.append(server)
        }
        return servers
    }

    mutating func readA2AAgents(_ node: Node) -> [Manifest.A2AAgent] {
        let allowed = "url, headers, enabled"
        guard let mapping = node.mapping else {
            if node.null == nil { issue(.error, node, "a2a_agents", "must be a mapping of agent name to settings", allowed: "name: {\(allowed)}") }
            return []
        }
        var agents: [Manifest.A2AAgent] = []
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? "?"
            let field = "a2a_agents.\(name)"
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                issue(.error, keyNode, field, "the name becomes part of tool names: use letters, digits, _ and -")
                continue
            }
            guard let settings = value.mapping else {
                issue(.error, value, field, "must be a mapping", allowed: allowed)
                continue
            }
            var agent = Manifest.A2AAgent(name: name, url: "")
            for (settingKey, setting) in settings {
                let key = settingKey.string ?? "?"
                switch key {
                case "url": agent.url = string(setting, "\(field).url", nonEmpty: true) ?? ""
                case "headers":
                    if let headers = setting.mapping {
                        for (headerKey, headerValue) in headers {
                            if let k = headerKey.string, let v = string(headerValue, "\(field).headers.\(k)") { agent.headers[k] = v }
                        }
                    } else {
                        issue(.error, setting, "\(field).headers", "must be a mapping of header names to values")
                    }
                case "enabled": agent.enabled = boolean(setting, "\(field).enabled") ?? true
                default: issue(.warning, settingKey, "\(field).\(key)", "unknown field; ignored", allowed: allowed)
                }
            }
            guard let url = URL(string: agent.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                issue(.error, value, "\(field).url", settings["url"] == nil ? "is required" : "must be an http:// or https:// URL",
                      allowed: "the agent's base URL or its agent card's URL")
                continue
            }
            agents.append(agent)
        }
        return agents
    }

    /// Checks that need the file system: skill directories must exist.
    mutating func checkFiles(of manifest: Manifest) {
        for (index, dir) in manifest.skills.dirs.enumerated() {
            var isDirectory: ObjCBool = false
            let url = manifest.resolve(dir)
            if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                issues.append(ManifestIssue(.error, file: file, field: "skills.dirs[\(index)]", problem: "\"\(dir)\" is not a directory (looked for \(url.path))",
                                            allowed: "a directory of skill folders, relative to the manifest"))
            }
        }
    }

    // MARK: scalars

    mutating func string(_ node: Node, _ field: String, nonEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node else {
            issue(.error, node, field, "must be a text value, not a \(node.mapping != nil ? "mapping" : "list")")
            return nil
        }
        if node.null != nil, scalar.style == .plain {
            if nonEmpty { issue(.error, node, field, "is empty", allowed: "a non-empty text value") }
            return nonEmpty ? nil : ""
        }
        if nonEmpty && scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            issue(.error, node, field, "is empty", allowed: "a non-empty text value")
            return nil
        }
        return scalar.string
    }

    mutating func strings(_ node: Node, _ field: String) -> [String] {
        if node.null != nil { return [] }
        guard let sequence = node.sequence else {
            issue(.error, node, field, "must be a list of text values")
            return []
        }
        return sequence.enumerated().compactMap { string($1, "\(field)[\($0)]", nonEmpty: true) }
    }

    mutating func integer(_ node: Node, _ field: String, in range: ClosedRange<Int>) -> Int? {
        guard node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int else {
            issue(.error, node, field, "must be a whole number, got \(Self.shown(node))", allowed: "\(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        guard range.contains(value) else {
            issue(.error, node, field, "\(value) is out of range", allowed: "\(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func boolean(_ node: Node, _ field: String) -> Bool? {
        guard node.tag.rawValue == Tag.Name.bool.rawValue, let value = node.bool else {
            issue(.error, node, field, "must be true or false, got \(Self.shown(node))")
            return nil
        }
        return value
    }

    static func shown(_ node: Node) -> String {
        if let scalar = node.scalar { return "\"\(scalar.string)\"" }
        return node.mapping != nil ? "a mapping" : "a list"
    }
}
