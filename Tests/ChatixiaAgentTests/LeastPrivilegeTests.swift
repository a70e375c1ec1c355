import Foundation
import MeshProtocol
import Testing

@testable import ChatixiaAgent

/// Skill handlers and MCP servers get a clean environment, sockets live only in directories nobody else
/// controls, work is bounded, and peer text cannot forge console log lines.
@Suite struct LeastPrivilegeTests {
    static let agentEnvironment = [
        "PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "API_KEY": "ak_secret_credential", "DEVICE_TOKEN": "dt_secret", "TURN_SECRET": "turn-secret", "OPENAI_API_KEY": "sk-secret",
        "WEATHER_API_KEY": "declared-value", "CHATIXIA_AGENT_ID": "alpha", "UNRELATED": "x",
    ]

    func variables(_ output: String) -> [String: String] {
        Dictionary(output.split(separator: "\n").compactMap { line in
            line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
        }) { first, _ in first }
    }

    @Test func aHandlerSeesTheBaselineAndWhatItsSkillDeclaresButNoCredential() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/skill.json", #"{"name": "env", "env": ["WEATHER_API_KEY"], "handler": {"command": ["env"]}}"#)
        let skill = try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: Self.agentEnvironment)
        let seen = variables(try await skill.run([:]))
        #expect(seen["WEATHER_API_KEY"] == "declared-value")
        #expect(seen["PATH"] == "/usr/bin:/bin")
        #expect(seen["LC_ALL"] == "C.UTF-8")
        #expect(seen["CHATIXIA_AGENT_ID"] == "alpha")
        #expect(seen["CHATIXIA_SKILL_DIR"] == directory.url.appendingPathComponent("s").path)
        for secret in ["API_KEY", "DEVICE_TOKEN", "TURN_SECRET", "OPENAI_API_KEY", "UNRELATED"] { #expect(seen[secret] == nil, "\(secret)") }
    }

    @Test func aPythonHandlerIsJustAsConfined() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/skill.json", #"{"name": "pyenv"}"#)
        try directory.write("s/handler.py", "import os\n\ndef handle(**kwargs):\n    return ','.join(sorted(k for k in os.environ if 'KEY' in k or 'TOKEN' in k or 'SECRET' in k))\n")
        var environment = Self.agentEnvironment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let skill = try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: environment)
        #expect(try await skill.run([:]) == "")
    }

    @Test func anEnvListThatIsNotNamesIsRefused() throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/skill.json", #"{"name": "bad", "env": ["A=1"], "handler": {"command": ["env"]}}"#)
        #expect(throws: SkillError.self) { try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: [:]) }
    }

    @Test func mcpServerEnvironmentsTakeReferencesFromTheAgent() {
        let declared = ChildEnvironment.resolve(["TOKEN": "${WEATHER_API_KEY}", "MODE": "fast", "MISSING": "${NOPE}"], from: Self.agentEnvironment)
        #expect(declared == ["TOKEN": "declared-value", "MODE": "fast"])
        let server = ChildEnvironment.make(from: Self.agentEnvironment, setting: declared)
        #expect(server["API_KEY"] == nil && server["OPENAI_API_KEY"] == nil)
        #expect(server["TOKEN"] == "declared-value" && server["PATH"] == "/usr/bin:/bin")
    }

    @Test func socketDirectoriesMustBeOursAlone() throws {
        let directory = try TemporaryDirectory()
        let own = directory.url.appendingPathComponent("own").path
        try IPCSocketPath.preparePrivate(own)
        var info = stat()
        #expect(stat(own, &info) == 0 && info.st_mode & 0o777 == 0o700)

        // A symlink planted where the directory should be is refused, not followed.
        let target = directory.url.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let planted = directory.url.appendingPathComponent("planted").path
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: target)
        #expect(throws: IPCSocketPath.Unsafe.self) { try IPCSocketPath.preparePrivate(planted) }
        #expect(throws: IPCSocketPath.Unsafe.self) { try IPCSocketPath.checkChosen(planted + "/s.sock") }
        // Another user's directory is refused (a uid that is not ours stands in for the other user).
        #expect(throws: IPCSocketPath.Unsafe.self) { try IPCSocketPath.preparePrivate(own, userID: getuid() + 1) }

        // A chosen path: a directory others may write to is refused unless sticky (like /tmp).
        let shared = directory.url.appendingPathComponent("shared").path
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        chmod(shared, 0o777)
        #expect(throws: IPCSocketPath.Unsafe.self) { try IPCSocketPath.checkChosen(shared + "/s.sock") }
        chmod(shared, 0o1777)
        try IPCSocketPath.checkChosen(shared + "/s.sock")
        try IPCSocketPath.checkChosen(own + "/s.sock")
    }

    @Test func workNeverExceedsItsSlotsAndMeshRequestsBeyondTheLineAreBusy() async throws {
        let slots = WorkSlots(capacity: 2, maxWaiting: 1)
        let gate = AsyncStream.makeStream(of: Void.self)
        let peak = Peak()
        let work: @Sendable () async throws -> Int = {
            await peak.enter()
            for await _ in gate.stream { break }
            await peak.leave()
            return 1
        }
        async let first = slots.run(agentId: "a", mayRefuse: true, work)
        async let second = slots.run(agentId: "a", mayRefuse: true, work)
        async let third = slots.run(agentId: "a", mayRefuse: true, work)
        while true {
            let (running, queued) = (await slots.inUse, await slots.queued)
            if running == 2 && queued == 1 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        await #expect(throws: WorkSlots.Busy.self) { try await slots.run(agentId: "a", mayRefuse: true, work) }
        for _ in 0..<3 { gate.continuation.yield() }
        gate.continuation.finish()
        #expect(try await first + second + third == 3)
        #expect(await peak.highest == 2)
        #expect(await slots.inUse == 0)
    }

    actor Peak {
        var current = 0
        var highest = 0
        func enter() {
            current += 1
            highest = max(highest, current)
        }
        func leave() { current -= 1 }
    }

    @Test func peerTextCannotForgeConsoleLines() {
        #expect(ConsoleLogHandler.printable("plain text") == "plain text")
        #expect(ConsoleLogHandler.printable("hi\n12:00:00 notice  fake line\u{1B}[2J") == "hi\\n12:00:00 notice  fake line\\u{1b}[2J")
    }

    @Test func theManifestTakesMaxConcurrentTasks() throws {
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("agent.yaml")
        let bounded = try Manifest.parse("name: bounded\nmax_concurrent_tasks: 3\n", file: file)
        #expect(bounded.manifest.maxConcurrentTasks == 3)
        #expect(bounded.errors.isEmpty)
        let zero = try Manifest.parse("name: bounded\nmax_concurrent_tasks: 0\n", file: file)
        #expect(zero.errors.map(\.field) == ["max_concurrent_tasks"])
        #expect(try Manifest.parse("name: unbounded\n", file: file).manifest.maxConcurrentTasks >= 4)
    }

    @Test func accessRulesComeFromSkillJSONAndTheManifest() throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/skill.json", #"{"name": "deploy", "allow": ["agent-3f2a1c", "role:hub"], "handler": {"command": ["true"]}}"#)
        let skill = try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: [:])
        #expect(skill.definition.access == ["agent-3f2a1c", "role:hub"])
        try directory.write("s/skill.json", #"{"name": "deploy", "allow": "everyone", "handler": {"command": ["true"]}}"#)
        #expect(throws: SkillError.self) { try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: [:]) }
        let manifest = try Manifest.parse("name: a\naccess:\n  deploy: [role:admin]\n", file: directory.url.appendingPathComponent("agent.yaml"))
        #expect(manifest.manifest.access == ["deploy": ["role:admin"]])
        #expect(manifest.errors.isEmpty)
        // A role that does not exist is an error, not a rule that silently matches nobody.
        let typo = try Manifest.parse("name: a\naccess:\n  deploy: [role:admni]\n", file: directory.url.appendingPathComponent("agent.yaml"))
        #expect(typo.errors.map(\.field) == ["access.deploy"])
        try directory.write("s/skill.json", #"{"name": "deploy", "allow": ["role:root"], "handler": {"command": ["true"]}}"#)
        #expect(throws: SkillError.self) { try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: [:]) }
        // Mesh peers carry no role the agent can see: they match role:agent and their own peer id only.
        #expect(SkillAccess.permits([], peerId: "anyone", role: nil))
        #expect(SkillAccess.permits(["agent-3f2a1c"], peerId: "agent-3f2a1c", role: nil))
        #expect(!SkillAccess.permits(["role:hub"], peerId: "agent-3f2a1c", role: nil))
        #expect(SkillAccess.permits(["role:agent"], peerId: "agent-3f2a1c", role: nil))
        #expect(SkillAccess.permits(["role:hub"], peerId: "x", role: .admin))
    }
}
