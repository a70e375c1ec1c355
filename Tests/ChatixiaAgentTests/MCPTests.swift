@testable import ChatixiaAgent
import Foundation
import Logging
import MCP
import MeshProtocol
import Testing

@Suite struct MCPToolMappingTests {
    static func tool(_ json: String) throws -> Tool { try JSONDecoder().decode(Tool.self, from: Data(json.utf8)) }
    static func result(_ json: String) throws -> CallTool.Result { try JSONDecoder().decode(CallTool.Result.self, from: Data(json.utf8)) }

    /// A tool as FastMCP lists it for `def search(query: str, limit: int = 10, exact: bool | None = None, tags: list[str] = [])`.
    static let search = """
        {"name": "search", "description": "Searches the notes.", "inputSchema": {"type": "object", "required": ["query"],
         "properties": {"query": {"type": "string", "title": "Query", "description": "What to look for"},
                        "limit": {"type": "integer", "default": 10},
                        "exact": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null},
                        "ratio": {"type": ["number", "null"]},
                        "tags": {"type": "array", "items": {"type": "string"}, "default": []},
                        "mode": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}}
        """

    @Test func aToolSchemaBecomesSkillParametersWhereTheyCanExpressIt() throws {
        let definition = MCPToolMapping.definition(for: try Self.tool(Self.search), name: "search")
        #expect(definition.description == "Searches the notes.")
        #expect(definition.parameters == [
            SkillParameter(name: "exact", kind: .boolean),
            SkillParameter(name: "limit", kind: .integer, defaultValue: .number(10)),
            SkillParameter(name: "query", kind: .string, description: "What to look for", required: true),
            SkillParameter(name: "ratio", kind: .number),
        ])
        // The LLM sees the server's whole schema, arrays and unions included.
        let parameters = definition.toolSchema["function"]?["parameters"]
        #expect(parameters?["properties"]?["tags"]?["items"]?["type"] == .string("string"))
        #expect(parameters?["properties"]?["mode"]?["anyOf"]?.arrayValue?.count == 2)
        #expect(parameters?["required"] == .array([.string("query")]))
    }

    @Test func argumentsAreCheckedAndUnexpressibleOnesPassThrough() throws {
        let definition = MCPToolMapping.definition(for: try Self.tool(Self.search), name: "search")
        let checked = try definition.validate(["query": .string("swift"), "tags": .array([.string("a")]), "mode": .number(2), "skill": .string("search")])
        #expect(checked == ["query": .string("swift"), "limit": .number(10), "tags": .array([.string("a")]), "mode": .number(2)])
        #expect(throws: SkillError.invalidArguments(skill: "search", problems: [
            "parameter 'limit' must be an integer, got the number 2.5", "missing required parameter 'query' (string)",
        ])) {
            try definition.validate(["limit": .number(2.5)])
        }
        let strict = MCPToolMapping.definition(
            for: try Self.tool(#"{"name": "sum", "inputSchema": {"type": "object", "properties": {"xs": {"type": "array"}}, "required": ["xs"]}}"#), name: "sum")
        #expect(throws: SkillError.invalidArguments(skill: "sum", problems: ["missing required parameter 'xs'"])) { try strict.validate([:]) }
    }

    @Test func argumentsGoToTheServerWithWholeNumbersAsIntegers() {
        #expect(MCPToolMapping.value(from: .object(["n": .number(3), "x": .number(0.5), "list": .array([.bool(true), .null])]))
            == .object(["n": .int(3), "x": .double(0.5), "list": .array([.bool(true), .null])]))
    }

    @Test func aCallResultBecomesTheSkillsText() throws {
        let mixed = try Self.result("""
            {"content": [{"type": "text", "text": "first"}, {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
                         {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
                         {"type": "resource_link", "uri": "file:///b.bin", "name": "b.bin"}]}
            """)
        #expect(try MCPToolMapping.text(of: mixed, skill: "t") == "first\n[image image/png, 8 base64 characters]\ninside\n[resource link b.bin: file:///b.bin]")
        let structured = try Self.result(#"{"content": [], "structuredContent": {"result": 9}}"#)
        #expect(try MCPToolMapping.text(of: structured, skill: "t") == #"{"result":9}"#)
        let failed = try Self.result(#"{"content": [{"type": "text", "text": "Error executing tool: no such note"}], "isError": true}"#)
        #expect(throws: SkillError.failed(skill: "t", reason: "Error executing tool: no such note")) { try MCPToolMapping.text(of: failed, skill: "t") }
    }

    @Test func toolNamesFitTheLLMsRules() {
        #expect(MCPServers.skillName("fs.read file") == "fs_read_file")
        #expect(MCPServers.skillName(String(repeating: "a", count: 80)).count == 64)
    }
}

/// Real child processes: a bare JSON-RPC server (stdlib Python) that dies or hangs when told to.
@Suite struct MCPServerProcessTests {
    static let server = """
        import json, os, sys
        for line in sys.stdin:
            message = json.loads(line)
            method, params = message.get("method"), message.get("params") or {}
            if method == "initialize":
                result = {"protocolVersion": params["protocolVersion"], "capabilities": {"tools": {}}, "serverInfo": {"name": "bare", "version": "1"}}
            elif method == "tools/list":
                result = {"tools": [{"name": name, "inputSchema": {"type": "object"}} for name in ("echo", "die", "hang")]}
            elif method == "tools/call" and params["name"] == "echo":
                result = {"content": [{"type": "text", "text": json.dumps(params.get("arguments"), sort_keys=True)}]}
            elif method == "tools/call" and params["name"] == "die":
                sys.stderr.write("bare: dying now\\n")
                sys.stderr.flush()
                os._exit(9)
            else:
                continue
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
        """

    let logger = Logger(label: "mcp-tests")

    func connection(_ directory: TemporaryDirectory, command: String = "python3", args: [String] = ["server.py"], startTimeout: Duration = .seconds(20),
                    callTimeout: Duration = .seconds(30)) throws -> MCPServerConnection {
        try directory.write("server.py", Self.server)
        return MCPServerConnection(
            Manifest.MCPServer(name: "bare", command: command, args: args), logFile: directory.url.appendingPathComponent("mcp-bare.log"), logger: logger,
            startTimeout: startTimeout, callTimeout: callTimeout)
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Test func toolsAreListedAndCalled() async throws {
        let directory = try TemporaryDirectory()
        let server = try connection(directory)
        let tools = try await server.start(environment: environment, directory: directory.url)
        #expect(tools.map(\.name) == ["echo", "die", "hang"])
        let result = try await server.call("echo", arguments: ["n": .int(2), "s": .string("x")])
        #expect(try MCPToolMapping.text(of: result, skill: "echo") == #"{"n": 2, "s": "x"}"#)
        await server.stop()
    }

    @Test func aServerThatDiesFailsEveryWaitingCallAtOnceWithItsStatusAndStderr() async throws {
        let directory = try TemporaryDirectory()
        let server = try connection(directory)
        _ = try await server.start(environment: environment, directory: directory.url)
        let started = ContinuousClock.now
        let waiting = Task { try await server.call("hang", arguments: [:]) }
        try await Task.sleep(for: .milliseconds(100))
        let expected = MCPServerError.exited(server: "bare", status: 9, log: "bare: dying now")
        await #expect(throws: expected) { try await server.call("die", arguments: [:]) }
        await #expect(throws: expected) { try await waiting.value }
        // Later calls fail the same way without waiting.
        await #expect(throws: expected) { try await server.call("echo", arguments: [:]) }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aServerThatDiesAtStartupIsReported() async throws {
        let directory = try TemporaryDirectory()
        let server = try connection(directory, command: "sh", args: ["-c", "echo 'ImportError: no module named x' >&2; exit 4"])
        await #expect(throws: MCPServerError.exited(server: "bare", status: 4, log: "ImportError: no module named x")) {
            try await server.start(environment: environment, directory: directory.url)
        }
    }

    @Test func aSilentServerTimesOutAtStartupAndACallWithoutAnswerTimesOut() async throws {
        let directory = try TemporaryDirectory()
        let silent = try connection(directory, command: "sleep", args: ["30"], startTimeout: .seconds(1))
        await #expect(throws: MCPServerError.timedOut(server: "bare", what: "initialize and tools/list", seconds: 1)) {
            try await silent.start(environment: environment, directory: directory.url)
        }
        let server = try connection(directory, callTimeout: .seconds(1))
        _ = try await server.start(environment: environment, directory: directory.url)
        await #expect(throws: MCPServerError.timedOut(server: "bare", what: "tools/call hang", seconds: 1)) { try await server.call("hang", arguments: [:]) }
        await server.stop()
    }

    @Test func aMissingCommandIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let server = try connection(directory, command: "./no-such-server")
        await #expect(throws: MCPServerError.commandNotFound(server: "bare", command: "./no-such-server")) {
            try await server.start(environment: environment, directory: directory.url)
        }
    }

    @Test func toolsBecomeSkillsUnderTheirOwnNameOrPrefixedWhenTaken() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("server.py", Self.server)
        let servers = await MCPServers.start(
            [Manifest.MCPServer(name: "bare", command: "python3", args: ["server.py"]), Manifest.MCPServer(name: "off", command: "python3", enabled: false)],
            reserved: ["echo"], environment: environment, directory: directory.url, logDirectory: directory.url, logger: logger)
        #expect(servers.names == ["bare"])
        #expect(servers.skills.map(\.definition.name) == ["bare_echo", "die", "hang"])
        let skills = SkillSet(servers.skills)
        #expect(try await skills.invoke("bare_echo", arguments: ["a": .string("b")]) == #"{}"#)
        await servers.stop()
    }
}
