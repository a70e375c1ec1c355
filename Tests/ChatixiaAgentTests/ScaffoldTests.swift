import ChatixiaAgent
import Foundation
import Testing

@Suite struct ScaffoldTests {
    @Test func writesAValidAgentAndNeverOverwrites() throws {
        let directory = try TemporaryDirectory()
        try directory.write("agent/.gitignore", "mine\n")
        let target = directory.url.appendingPathComponent("agent")
        let outcome = try Scaffold.write(name: "my agent: one", into: target)
        #expect(outcome.created == ["agent.yaml", ".env.example", "AGENT.md", "skills/hello/skill.json", "skills/hello/handler.py"])
        #expect(outcome.kept == [".gitignore"])
        #expect(try String(contentsOf: target.appendingPathComponent(".gitignore"), encoding: .utf8) == "mine\n")

        // The scaffold passes its own validation, and its example skill loads.
        let report = try Manifest.load(target.path)
        #expect(report.issues.isEmpty, "\(report.issues)")
        #expect(report.manifest.name == "my agent: one")
        let (skills, problems) = SkillSet.loadFolders(report.manifest.skillDirectories, environment: [:])
        #expect(skills.map(\.definition.name) == ["hello"])
        #expect(problems.isEmpty)

        #expect(throws: Scaffold.Failure.manifestExists(target.appendingPathComponent("agent.yaml").path)) {
            try Scaffold.write(name: "other", into: target)
        }
    }
}
