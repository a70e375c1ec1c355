import Foundation

/// An agent's `agent.yaml` (UPSTREAM.md §4 fields with upstream defaults, plus `mcp_servers`).
public struct Manifest: Sendable, Equatable {
    /// The built-in mesh skills a manifest may name under `skills.builtin`.
    public static let builtinSkillNames = ["delegate", "list_agents", "find_agent", "mesh_send", "mesh_broadcast", "user_intervention"]
    public static let providers = ["azure", "openai", "ollama"]

    public struct Sidecar: Sendable, Equatable {
        /// Binary path or name; nil means "resolve by the usual order" (CONTRACT.md §4).
        public var binary: String?
        /// API key for both the registry and the sidecar; never defaulted.
        public var apiKey: String?
        /// IPC socket path; nil means a private per-user directory.
        public var socket: String?

        public init(binary: String? = nil, apiKey: String? = nil, socket: String? = nil) {
            self.binary = binary
            self.apiKey = apiKey
            self.socket = socket
        }
    }

    public struct Skills: Sendable, Equatable {
        public var builtin: [String]
        public var dirs: [String]
        public var disabled: [String]

        public init(builtin: [String] = [], dirs: [String] = [], disabled: [String] = []) {
            self.builtin = builtin
            self.dirs = dirs
            self.disabled = disabled
        }
    }

    /// One stdio MCP server in the `chatixia-agent` format.
    public struct MCPServer: Sendable, Equatable {
        public var name: String
        public var command: String
        public var args: [String]
        public var env: [String: String]
        public var description: String
        public var enabled: Bool

        public init(name: String, command: String, args: [String] = [], env: [String: String] = [:], description: String = "", enabled: Bool = true) {
            self.name = name
            self.command = command
            self.args = args
            self.env = env
            self.description = description
            self.enabled = enabled
        }
    }

    /// An outside A2A agent whose skills this agent may call (`a2a_agents: {name: {url, headers, enabled}}`).
    public struct A2AAgent: Sendable, Equatable {
        public var name: String
        /// The agent's base URL, or its card's URL (`…/agent-card.json`).
        public var url: String
        /// Sent with every request; a value `${NAME}` comes from the agent's environment (a key stays in `.env`).
        public var headers: [String: String]
        public var enabled: Bool

        public init(name: String, url: String, headers: [String: String] = [:], enabled: Bool = true) {
            self.name = name
            self.url = url
            self.headers = headers
            self.enabled = enabled
        }
    }

    public var name = "unnamed-agent"
    public var description = ""
    /// The registry's URL, or several replicas' URLs separated by commas (see `registryURLs`).
    public var registry = "http://localhost:8080"

    /// The entries of a `registry` value, without trailing slashes.
    public static func registryURLs(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
    public var provider = "azure"
    public var model = ""
    public var prompt = ""
    public var sidecar = Sidecar()
    public var skills = Skills()
    public var dataDir = ".chatixia"
    public var maxTurns = 10
    /// `access: {skill: [rules]}`: who may run each skill (`SkillAccess`), over what its skill.json says.
    public var access: [String: [String]] = [:]
    /// Tasks and mesh requests (skill calls, prompts) this agent runs at once; the registry assigns no more
    /// and mesh requests beyond it wait in a bounded line or are answered "busy".
    public var maxConcurrentTasks = max(4, ProcessInfo.processInfo.activeProcessorCount * 2)
    public var contextWindow = 120_000
    public var mcpServers: [MCPServer] = []
    public var a2aAgents: [A2AAgent] = []

    /// The manifest file this came from and its directory, against which relative paths resolve.
    public var file: URL
    public var directory: URL { file.deletingLastPathComponent() }

    public init(file: URL) {
        self.file = file
    }

    /// A path from the manifest, resolved against the manifest's directory (upstream used the working directory for data_dir).
    public func resolve(_ path: String) -> URL {
        let expanded = NSString(string: path).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardized }
        return directory.appendingPathComponent(expanded).standardized
    }

    public var dataDirectory: URL { resolve(dataDir) }

    /// The skill directories to load, resolved.
    public var skillDirectories: [URL] { skills.dirs.map(resolve) }

    /// Built-in skills in use: the listed ones minus the disabled ones.
    public var enabledBuiltins: [String] { skills.builtin.filter { !skills.disabled.contains($0) } }
}
