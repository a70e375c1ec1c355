import Foundation
import Logging

/// Answers prompts with the configured LLM, or refuses them clearly when none is configured.
public struct PromptService: Sendable {
    public let runner: Result<PromptRunner, LLMError>

    public init(manifest: Manifest, environment: [String: String], tools: SkillSet, logger: Logger) {
        runner = LLMConfiguration.resolve(manifest: manifest, environment: environment).map { configuration in
            PromptRunner(
                client: ChatCompletionClient(configuration: configuration, logger: logger), systemPrompt: Self.systemPrompt(for: manifest),
                tools: tools, maxTurns: manifest.maxTurns, logger: logger)
        }
    }

    /// The manifest's `prompt`, then AGENT.md (personality and goals), separated by a blank line.
    public static func systemPrompt(for manifest: Manifest) -> String {
        let agentFile = manifest.directory.appendingPathComponent("AGENT.md")
        let personality = (try? String(contentsOf: agentFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return [manifest.prompt.trimmingCharacters(in: .whitespacesAndNewlines), personality].filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    @Sendable public func answer(_ prompt: String) async throws -> String {
        try await runner.get().answer(prompt)
    }

    /// Answers with only the tools `mayUse` admits; with `onDelta`, replies are streamed and their text handed
    /// over as it arrives.
    public func answer(
        _ prompt: String, onDelta: ChatCompletionClient.DeltaHandler? = nil, mayUse: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        try await runner.get().answer(prompt, onDelta: onDelta, mayUse: mayUse)
    }

    /// Whether an LLM is configured, so prompts can be answered.
    public var hasLLM: Bool {
        if case .success = runner { return true }
        return false
    }

    public var summary: String {
        switch runner {
        case .success(let runner): "\(runner.client.configuration.provider)/\(runner.client.configuration.model)"
        case .failure: "none"
        }
    }
}
