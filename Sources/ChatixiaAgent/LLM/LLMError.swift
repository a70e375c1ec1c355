/// Why a prompt could not be answered.
public enum LLMError: Error, Equatable, CustomStringConvertible {
    case notConfigured(String)
    case unauthorized(provider: String, status: Int, message: String)
    case rateLimited(provider: String, message: String)
    case timedOut(provider: String, seconds: Double)
    case unreachable(provider: String, reason: String)
    case rejected(provider: String, status: Int, message: String)
    case badResponse(provider: String, reason: String)
    case turnLimit(Int)

    public var description: String {
        switch self {
        case .notConfigured(let reason):
            "no LLM is configured (\(reason)); skills and tasks still work, but prompts need an LLM: set the variables in .env"
        case .unauthorized(let provider, let status, let message): "the \(provider) API refused the credentials (\(status): \(message)); check its API key"
        case .rateLimited(let provider, let message): "the \(provider) API kept rate-limiting after several retries (429: \(message))"
        case .timedOut(let provider, let seconds): "the \(provider) API did not answer within \(Int(seconds)) s"
        case .unreachable(let provider, let reason): "cannot reach the \(provider) API (\(reason))"
        case .rejected(let provider, let status, let message): "the \(provider) API answered \(status): \(message)"
        case .badResponse(let provider, let reason): "unexpected answer from the \(provider) API: \(reason)"
        case .turnLimit(let turns): "no final answer after \(turns) tool rounds (max_turns in agent.yaml)"
        }
    }
}
