import ArgumentParser
import ChatixiaAgent
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an agent manifest, its skill folders and its environment.",
        discussion: "Prints every problem with its file, line, field, what is wrong and what is allowed. Exits 1 on any error.")

    @Argument(help: "Path to agent.yaml, or a directory holding one.")
    var manifest = "agent.yaml"

    func run() throws {
        let report: ManifestReport
        do {
            report = try Manifest.load(manifest)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        var errors = report.errors.map(\.description)
        let loaded = report.manifest
        let environment = DotEnv.environment(for: loaded)
        let (folderSkills, problems) = SkillSet.loadFolders(loaded.skillDirectories, environment: environment)
        errors += problems.map(problemLine)

        if !errors.isEmpty {
            print("\(errors.count) error(s) in \(manifest):")
            for error in errors { print("  \(error)") }
            for warning in report.warnings { print("  \(warning)") }
            throw ExitCode(1)
        }

        print("OK: \(manifest)")
        print("  Agent:      \(loaded.name)")
        print("  Registry:   \(loaded.registry)")
        let llm: String
        switch LLMConfiguration.resolve(manifest: loaded, environment: environment) {
        case .success(let configuration): llm = "\(configuration.provider), model \(configuration.model)"
        case .failure(.notConfigured(let reason)): llm = "none: \(reason); prompts will be refused, skills and tasks work"
        case .failure(let error): llm = "none: \(error)"
        }
        print("  LLM:        \(llm)")
        let folderNames = folderSkills.map(\.definition.name).filter { !loaded.skills.disabled.contains($0) }
        print("  Skills:     \(loaded.enabledBuiltins.count) built-in (\(loaded.enabledBuiltins.joined(separator: ", ")))"
              + (folderNames.isEmpty ? "" : ", \(folderNames.count) from folders (\(folderNames.joined(separator: ", ")))"))
        let credential: String
        switch try? CredentialResolution.resolve(manifest: loaded, environment: environment) {
        case .deviceToken?: credential = "device token"
        case .apiKey?: credential = "API key"
        case nil: credential = "none yet (run `chatixia pair CODE` or set API_KEY)"
        }
        print("  Credential: \(credential)")
        let sidecar = (try? SidecarBinary.locate(manifest: loaded, environment: environment).path) ?? "not found (set sidecar.binary or SIDECAR_BINARY)"
        print("  Sidecar:    \(sidecar)")
        if !loaded.mcpServers.isEmpty {
            let servers = loaded.mcpServers.map { $0.enabled ? $0.name : "\($0.name) (disabled)" }
            print("  MCP:        \(servers.joined(separator: ", ")) (stdio; their tools become skills when `chatixia run` starts them)")
        }
        for warning in report.warnings { print("  \(warning)") }
    }

    /// A skill folder problem in the same `file: error: what` shape as manifest issues.
    func problemLine(_ error: SkillError) -> String {
        if case .invalidDefinition(let path, let problem) = error { return "\(path): error: \(problem)" }
        return "error: \(error)"
    }
}
