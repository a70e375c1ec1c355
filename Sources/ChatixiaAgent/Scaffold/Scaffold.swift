import Foundation

/// `chatixia init`: a new agent's files. Never overwrites: an existing agent.yaml is an error, other
/// existing files are left as they are.
public enum Scaffold {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case manifestExists(String)
        case invalidName(String)
        case cannotWrite(String, String)

        public var description: String {
            switch self {
            case .manifestExists(let path): "\(path) already exists; not overwriting it"
            case .invalidName(let name): "\"\(name)\" cannot be an agent name: use up to 128 characters without '/' or line breaks"
            case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
            }
        }
    }

    public struct Outcome: Equatable, Sendable {
        public var created: [String]
        public var kept: [String]
    }

    public static func write(name: String, into directory: URL) throws(Failure) -> Outcome {
        guard !name.isEmpty, name.count <= 128, !name.contains("/"), !name.contains(where: \.isNewline) else { throw .invalidName(name) }
        let manifest = directory.appendingPathComponent("agent.yaml")
        if FileManager.default.fileExists(atPath: manifest.path) { throw .manifestExists(manifest.path) }
        var outcome = Outcome(created: [], kept: [])
        let files: [(String, String)] = [
            ("agent.yaml", manifestText(name: name)),
            (".env.example", envExample),
            (".gitignore", gitignore),
            ("AGENT.md", agentMarkdown(name: name)),
            ("skills/hello/skill.json", helloSkillJSON),
            ("skills/hello/handler.py", helloHandler),
        ]
        for (relative, text) in files {
            let file = directory.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: file.path) {
                outcome.kept.append(relative)
                continue
            }
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file, options: .withoutOverwriting)
            } catch {
                throw .cannotWrite(file.path, error.localizedDescription)
            }
            outcome.created.append(relative)
        }
        return outcome
    }

    /// A YAML double-quoted scalar (JSON string syntax is valid YAML).
    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func manifestText(name: String) -> String {
        """
        # Chatixia mesh agent. `chatixia validate` checks this file; `chatixia run` starts the agent.

        name: \(quoted(name))
        description: ""

        # Registry: the mesh's control plane (chatixia-registry).
        registry: "http://localhost:8080"

        # LLM provider: azure | openai | ollama. Credentials come from .env (see .env.example).
        # Without them the agent still runs skills and tasks; prompts are refused with a clear error.
        provider: azure
        # model: gpt-4o        # overrides AZURE_OPENAI_DEPLOYMENT / OPENAI_MODEL / OLLAMA_MODEL

        # System prompt; AGENT.md beside this file is appended to it.
        prompt: |
          You are a helpful AI assistant connected to the Chatixia mesh.
          Use the available tools to help the user.
          You can collaborate with other agents using delegate and mesh_send.

        # Sidecar: the WebRTC peer that links this agent to the mesh; `chatixia run` starts and supervises it.
        sidecar:
          # binary: chatixia-sidecar   # default: $SIDECAR_BINARY, then beside chatixia, then PATH
          # api_key: ...               # better: API_KEY in .env, or a device token from `chatixia pair CODE`
          # socket: /tmp/agent.sock    # default: a private per-user directory

        # Skills: built-in mesh skills, plus skill folders (skill.json + handler) in the dirs below.
        skills:
          builtin:
            - delegate
            - list_agents
            - find_agent
            - mesh_send
            - mesh_broadcast
            - user_intervention
          dirs:
            - ./skills
          # disabled:
          #   - mesh_broadcast

        # MCP servers (stdio), chatixia-agent format:
        # mcp_servers:
        #   files:
        #     command: npx
        #     args: ["-y", "@modelcontextprotocol/server-filesystem", "."]

        # Runtime: data_dir holds the device token and the sidecar log (relative to this file).
        data_dir: .chatixia
        # max_turns: 10
        # context_window: 120000

        """
    }

    static let envExample = """
        # Copy to .env and fill in. Variables already set in the environment win over .env.

        # Registry credential: an API key from the registry's api_keys.json, or leave it empty
        # and run `chatixia pair CODE` to get a device token instead.
        API_KEY=

        # Azure OpenAI (provider: azure)
        AZURE_OPENAI_ENDPOINT=https://your-resource.openai.azure.com/
        AZURE_OPENAI_API_KEY=
        AZURE_OPENAI_DEPLOYMENT=gpt-4o
        # AZURE_OPENAI_API_VERSION=2024-06-01

        # OpenAI or any OpenAI-compatible server (provider: openai)
        # OPENAI_API_KEY=
        # OPENAI_BASE_URL=https://api.openai.com/v1
        # OPENAI_MODEL=gpt-4o

        # Ollama (provider: ollama; no credentials needed)
        # OLLAMA_BASE_URL=http://localhost:11434/v1
        # OLLAMA_MODEL=qwen3.5:4b

        # Sidecar
        # SIDECAR_BINARY=/path/to/chatixia-sidecar

        # Logging: trace, debug, info, notice (default), warning, error
        # LOG_LEVEL=notice

        """

    static let gitignore = """
        .env
        .chatixia/
        __pycache__/
        *.pyc

        """

    static func agentMarkdown(name: String) -> String {
        """
        # \(name)

        This file is added to the system prompt after `prompt:` in agent.yaml.

        ## Personality
        Friendly, precise and brief. Says so when unsure.

        ## Goals
        - Help the people and agents who ask, using the skills available.
        - Ask another agent with `delegate` when it has a skill this agent lacks.

        """
    }

    static let helloSkillJSON = """
        {
          "name": "hello",
          "description": "Greets someone by name.",
          "version": "1.0.0",
          "category": "Example",
          "parameters": {
            "name": {"type": "string", "description": "Who to greet", "required": true},
            "excited": {"type": "boolean", "description": "End with an exclamation mark", "default": false}
          }
        }

        """

    static let helloHandler = """
        # Gets the validated parameters as keyword arguments; returns the skill's result as text.
        def handle(name: str, excited: bool = False, **kwargs) -> str:
            return f"Hello, {name}" + ("!" if excited else ".")

        """
}
