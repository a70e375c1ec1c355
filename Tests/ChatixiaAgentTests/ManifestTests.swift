import ChatixiaAgent
import Foundation
import Testing

@Suite struct ManifestTests {
    let file = URL(fileURLWithPath: "/agents/alpha/agent.yaml")

    func parse(_ yaml: String) throws(ManifestLoadError) -> ManifestReport {
        try Manifest.parse(yaml, file: file, displayName: "agent.yaml")
    }

    @Test func absentFieldsTakeUpstreamDefaults() throws {
        let report = try parse("name: alpha\n")
        let manifest = report.manifest
        #expect(report.issues.isEmpty)
        #expect(manifest.name == "alpha")
        #expect(manifest.registry == "http://localhost:8080")
        #expect(manifest.provider == "azure")
        #expect(manifest.dataDir == ".chatixia")
        #expect(manifest.maxTurns == 10)
        #expect(manifest.contextWindow == 120_000)
        #expect(manifest.skills == Manifest.Skills())
        // Secrets and paths are never defaulted: the sidecar key in particular (upstream used ak_dev_001).
        #expect(manifest.sidecar == Manifest.Sidecar())
    }

    @Test func readsEveryField() throws {
        let report = try parse("""
            name: alpha
            description: Does things
            registry: http://127.0.0.1:9000/
            provider: ollama
            model: llama3
            prompt: |
              Be brief.
            sidecar:
              binary: ./bin/chatixia-sidecar
              api_key: key-1
              socket: /tmp/alpha.sock
            skills:
              builtin: [delegate, list_agents]
              dirs: []
              disabled: [list_agents]
            data_dir: state
            max_turns: 4
            context_window: 8000
            mcp_servers:
              files:
                command: npx
                args: ["-y", "server"]
                env: {ROOT: /srv}
                enabled: false
            """)
        #expect(report.issues.isEmpty)
        let manifest = report.manifest
        #expect(manifest.description == "Does things")
        #expect(manifest.registry == "http://127.0.0.1:9000")
        #expect(manifest.provider == "ollama")
        #expect(manifest.model == "llama3")
        #expect(manifest.prompt == "Be brief.\n")
        #expect(manifest.sidecar == Manifest.Sidecar(binary: "./bin/chatixia-sidecar", apiKey: "key-1", socket: "/tmp/alpha.sock"))
        #expect(manifest.enabledBuiltins == ["delegate"])
        #expect(manifest.maxTurns == 4)
        #expect(manifest.contextWindow == 8000)
        #expect(manifest.mcpServers == [Manifest.MCPServer(name: "files", command: "npx", args: ["-y", "server"], env: ["ROOT": "/srv"], enabled: false)])
        // Relative paths resolve against the manifest's directory, not the working directory.
        #expect(manifest.dataDirectory.path == "/agents/alpha/state")
        #expect(manifest.resolve("./bin/chatixia-sidecar").path == "/agents/alpha/bin/chatixia-sidecar")
    }

    @Test func skillsMayBeAPlainList() throws {
        let report = try parse("name: a\nskills: [delegate, mesh_send]\n")
        #expect(report.manifest.skills.builtin == ["delegate", "mesh_send"])
    }

    @Test func severalRegistryReplicasAreOneCommaSeparatedValue() throws {
        let report = try parse("""
            name: alpha
            registry: "http://10.0.0.1:8080/, https://b.example"
            """)
        #expect(report.errors.isEmpty)
        #expect(report.manifest.registry == "http://10.0.0.1:8080,https://b.example")
        #expect(Manifest.registryURLs(report.manifest.registry) == ["http://10.0.0.1:8080", "https://b.example"])
        let bad = try parse("""
            name: alpha
            registry: "http://a:1, ftp://b"
            """)
        #expect(bad.errors.map(\.description).first?.contains("\"ftp://b\" is not a registry URL") == true)
    }

    @Test func errorsNameFileLineFieldProblemAndWhatIsAllowed() throws {
        let report = try parse("""
            name: alpha
            max_turns: ten
            provider: gpt
            skills:
              builtin: [delegate, summarize]
            registry: ftp://x
            context_window: 5
            """)
        let shown = report.errors.map(\.description)
        #expect(shown == [
            "agent.yaml:2:12: error: max_turns: must be a whole number, got \"ten\" (allowed: 1 to 100)",
            "agent.yaml:3:11: error: provider: unknown provider \"gpt\" (allowed: azure, openai, ollama)",
            "agent.yaml:5:23: error: skills.builtin[1]: unknown built-in skill \"summarize\"; put your own skills in a folder listed under skills.dirs (allowed: delegate, list_agents, find_agent, mesh_send, mesh_broadcast, user_intervention)",
            "agent.yaml:6:11: error: registry: \"ftp://x\" is not a registry URL (allowed: an http:// or https:// URL such as http://localhost:8080, or several replicas' URLs separated by commas)",
            "agent.yaml:7:17: error: context_window: 5 is out of range (allowed: 1000 to 10000000)",
        ])
    }

    @Test func wrongShapesAreErrorsNotCrashes() throws {
        let long = "/tmp/" + String(repeating: "s", count: 120) + ".sock"
        let report = try parse("""
            name: [a, b]
            sidecar:
              socket: \(long)
            skills: 3
            mcp_servers:
              broken: {args: [x]}
            max_turns: 2.5
            """)
        let fields = report.errors.map(\.field)
        #expect(fields == ["name", "sidecar.socket", "skills", "mcp_servers.broken.command", "max_turns"])
        #expect(report.errors[1].problem.contains("bytes long"))
    }

    @Test func a2aAgentsNeedAToolSafeNameAndAnHTTPURL() throws {
        let report = try parse("""
            name: a
            a2a_agents:
              words:
                url: https://words.example/a2a
                headers: {x-api-key: "${WORDS_KEY}"}
              "bad name": {url: "http://x"}
              nourl: {headers: {}}
              ftp: {url: "ftp://files.example"}
              off: {url: "http://127.0.0.1:9", enabled: false, colour: blue}
            """)
        #expect(report.manifest.a2aAgents == [
            Manifest.A2AAgent(name: "words", url: "https://words.example/a2a", headers: ["x-api-key": "${WORDS_KEY}"]),
            Manifest.A2AAgent(name: "off", url: "http://127.0.0.1:9", enabled: false),
        ])
        #expect(report.errors.map(\.field) == ["a2a_agents.bad name", "a2a_agents.nourl.url", "a2a_agents.ftp.url"])
        #expect(report.warnings.map(\.field) == ["a2a_agents.off.colour"])
    }

    @Test func unknownAndForeignFieldsAreWarnings() throws {
        let report = try parse("name: a\nmax_turn: 3\ngoals: []\n")
        #expect(report.errors.isEmpty)
        #expect(report.warnings.map(\.field) == ["max_turn", "goals"])
    }

    @Test func invalidYAMLIsASyntaxErrorWithItsPosition() {
        #expect(throws: ManifestLoadError.self) { try parse("name: [\n") }
        do {
            _ = try parse("name: a\n  bad: indent: here\n")
            Issue.record("expected a syntax error")
        } catch {
            guard case .syntax(let shown, let line, _, _) = error else { Issue.record("\(error)"); return }
            #expect(shown == "agent.yaml")
            #expect(line == 2)
        }
    }

    @Test func aManifestMustBeAMapping() {
        #expect(throws: ManifestLoadError.notAMapping("agent.yaml")) { try parse("- a\n- b\n") }
    }

    @Test func locatesTheManifestInADirectoryAndReportsMissingOnes() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ManifestLoadError.noManifestInDirectory(directory.url.path)) { try Manifest.locate(directory.url.path) }
        let yml = try directory.write("agent.yml", "name: b\n")
        #expect(try Manifest.locate(directory.url.path) == yml)
        #expect(throws: ManifestLoadError.notFound("/no/such/agent.yaml")) { try Manifest.load("/no/such/agent.yaml") }
    }

    @Test func skillDirectoriesMustExist() throws {
        let directory = try TemporaryDirectory()
        try directory.write("agent.yaml", "name: a\nskills:\n  dirs: [./skills, ./missing]\n")
        try FileManager.default.createDirectory(at: directory.url.appendingPathComponent("skills"), withIntermediateDirectories: true)
        let report = try Manifest.load(directory.url.path)
        #expect(report.errors.map(\.field) == ["skills.dirs[1]"])
    }
}

@Suite struct DotEnvTests {
    @Test func parsesCommentsQuotesAndExport() {
        let values = DotEnv.parse("""
            # comment
            API_KEY=abc
            export OPENAI_MODEL = gpt-4o
            QUOTED="a b # not a comment"
            SINGLE='x'
            TRAILING=value # comment
            EMPTY=
            not a line
            """)
        #expect(values == ["API_KEY": "abc", "OPENAI_MODEL": "gpt-4o", "QUOTED": "a b # not a comment", "SINGLE": "x", "TRAILING": "value", "EMPTY": ""])
    }

    @Test func theProcessEnvironmentWinsOverDotEnv() throws {
        let directory = try TemporaryDirectory()
        try directory.write(".env", "API_KEY=from-file\nOLLAMA_MODEL=m\n")
        let manifest = Manifest(file: directory.url.appendingPathComponent("agent.yaml"))
        let merged = DotEnv.environment(for: manifest, process: ["API_KEY": "from-process"])
        #expect(merged["API_KEY"] == "from-process")
        #expect(merged["OLLAMA_MODEL"] == "m")
    }
}
