import Foundation
import Testing

/// The `chatixia` binary built beside this test bundle (`swift build --build-tests` builds both).
let chatixiaBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("chatixia")

struct CLIResult {
    var status: Int32
    var output: String
    var errorOutput: String
}

func chatixia(_ arguments: String..., in directory: URL, environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = chatixiaBinary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path].merging(environment) { $1 }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errorOutput: String(decoding: err, as: UTF8.self))
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: chatixiaBinary.path), "needs the chatixia binary from `swift build`"))
struct CLITests {
    @Test func initScaffoldsIntoANamedDirectoryAndRefusesToOverwrite() throws {
        let directory = try TemporaryDirectory()
        let first = try chatixia("init", "scout", in: directory.url)
        #expect(first.status == 0, "\(first.errorOutput)")
        #expect(first.output.contains("Created scout/agent.yaml"))
        for file in ["agent.yaml", ".env.example", ".gitignore", "AGENT.md", "skills/hello/skill.json", "skills/hello/handler.py"] {
            #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("scout/\(file)").path), "\(file)")
        }
        let second = try chatixia("init", "scout", in: directory.url)
        #expect(second.status == 1)
        #expect(second.errorOutput.contains("agent.yaml already exists; not overwriting it"))

        let elsewhere = try chatixia("init", "other", "-d", "custom", in: directory.url)
        #expect(elsewhere.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("custom/agent.yaml").path))
    }

    @Test func validateSummarizesAGoodManifest() throws {
        let directory = try TemporaryDirectory()
        _ = try chatixia("init", "scout", "-d", ".", in: directory.url)
        let result = try chatixia("validate", in: directory.url)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasPrefix("OK: agent.yaml\n  Agent:      scout\n  Registry:   http://localhost:8080\n"))
        #expect(result.output.contains("  Skills:     6 built-in (delegate, list_agents, find_agent, mesh_send, mesh_broadcast, user_intervention), 1 from folders (hello)"))
        #expect(result.output.contains("  Credential: none yet"))
    }

    @Test func validateListsEveryErrorAndExits1() throws {
        let directory = try TemporaryDirectory()
        try directory.write("bad/agent.yaml", "name: scout\nmax_turns: 0\nskills:\n  dirs: [./skills]\n")
        try directory.write("bad/skills/broken/skill.json", #"{"name": "broken", "parameters": {"n": {"type": "list"}}}"#)
        let result = try chatixia("validate", "bad", in: directory.url)
        #expect(result.status == 1)
        #expect(result.output.contains("2 error(s) in bad:"))
        #expect(result.output.contains("bad:2:12: error: max_turns: 0 is out of range (allowed: 1 to 100)"))
        #expect(result.output.contains("skills/broken/skill.json: error: parameters.n.type \"list\" is not one of string, integer, number, boolean"))
        let missing = try chatixia("validate", "nowhere.yaml", in: directory.url)
        #expect(missing.status == 1)
        #expect(missing.errorOutput.contains("manifest not found: nowhere.yaml"))
    }

    @Test func runRefusesABadConfigurationWithExit2() throws {
        let directory = try TemporaryDirectory()
        try directory.write("agent.yaml", "name: scout\nprovider: skynet\n")
        let invalid = try chatixia("run", in: directory.url)
        #expect(invalid.status == 2)
        #expect(invalid.errorOutput.contains("agent.yaml:2:11: error: provider: unknown provider \"skynet\""))

        try directory.write("agent.yaml", "name: scout\n")
        let noCredential = try chatixia("run", in: directory.url)
        #expect(noCredential.status == 2)
        #expect(noCredential.errorOutput.contains("no credential: pair this agent with `chatixia pair CODE`"))
    }

    @Test func pairChecksTheCodeBeforeCallingTheRegistry() throws {
        let directory = try TemporaryDirectory()
        try directory.write("agent.yaml", "name: scout\nregistry: http://127.0.0.1:9\n")
        let result = try chatixia("pair", "12ab56", in: directory.url)
        #expect(result.status == 1)
        #expect(result.errorOutput.contains("the invite code must be exactly 6 digits"))
    }
}
