import Foundation

/// Where the agent's OpenAI-compatible chat completions go, from the manifest and the upstream env names.
public struct LLMConfiguration: Sendable, Equatable {
    public var provider: String
    public var model: String
    /// The full chat-completions URL.
    public var endpoint: String
    /// Authentication headers (`Authorization` for OpenAI, `api-key` for Azure, none for Ollama).
    public var headers: [String: String]
    public var timeout: Duration

    public init(provider: String, model: String, endpoint: String, headers: [String: String], timeout: Duration = .seconds(120)) {
        self.provider = provider
        self.model = model
        self.endpoint = endpoint
        self.headers = headers
        self.timeout = timeout
    }

    /// The configuration, or why there is none (a missing key is not an error: skills and tasks still work).
    public static func resolve(manifest: Manifest, environment: [String: String]) -> Result<LLMConfiguration, LLMError> {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        let provider = value("LLM_PROVIDER") ?? manifest.provider
        let model = manifest.model.isEmpty ? nil : manifest.model
        let timeout = value("LLM_TIMEOUT").flatMap(Double.init).map { Duration.milliseconds(Int64($0 * 1000)) } ?? .seconds(120)
        func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        switch provider {
        case "openai":
            guard let key = value("OPENAI_API_KEY") else { return .failure(.notConfigured("provider openai needs OPENAI_API_KEY")) }
            let base = trimmed(value("OPENAI_BASE_URL") ?? "https://api.openai.com/v1")
            return .success(LLMConfiguration(
                provider: provider, model: model ?? value("OPENAI_MODEL") ?? "gpt-4o", endpoint: "\(base)/chat/completions",
                headers: ["authorization": "Bearer \(key)"], timeout: timeout))
        case "azure":
            let missing = ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"].filter { value($0) == nil }
                + (model == nil && value("AZURE_OPENAI_DEPLOYMENT") == nil ? ["AZURE_OPENAI_DEPLOYMENT (or model: in agent.yaml)"] : [])
            guard missing.isEmpty, let endpoint = value("AZURE_OPENAI_ENDPOINT"), let key = value("AZURE_OPENAI_API_KEY") else {
                return .failure(.notConfigured("provider azure needs \(missing.joined(separator: ", "))"))
            }
            let deployment = model ?? value("AZURE_OPENAI_DEPLOYMENT")!
            let version = value("AZURE_OPENAI_API_VERSION") ?? "2024-06-01"
            let path = "\(trimmed(endpoint))/openai/deployments/\(RegistryClient.segment(deployment))/chat/completions?api-version=\(version)"
            return .success(LLMConfiguration(provider: provider, model: deployment, endpoint: path, headers: ["api-key": key], timeout: timeout))
        case "ollama":
            let base = trimmed(value("OLLAMA_BASE_URL") ?? "http://localhost:11434/v1")
            return .success(LLMConfiguration(
                provider: provider, model: model ?? value("OLLAMA_MODEL") ?? "qwen3.5:4b", endpoint: "\(base)/chat/completions", headers: [:],
                timeout: timeout))
        default:
            return .failure(.notConfigured("unknown LLM provider \"\(provider)\" (use azure, openai or ollama)"))
        }
    }
}
