/// A failed registry call, worded so the user knows what to do next.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case timedOut(url: String, seconds: Int)
    case unauthorized(String)
    case forbidden(String)
    case rateLimited(retryAfterSeconds: Int?, message: String)
    case notFound(String)
    case rejected(status: Int, message: String)
    case badResponse(url: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason):
            "cannot reach the registry at \(url) (\(reason)); is chatixia-registry running there, and is `registry:` in agent.yaml right?"
        case .timedOut(let url, let seconds): "the registry at \(url) did not answer within \(seconds) s"
        case .unauthorized(let message):
            "the registry refused the credential (401: \(message)); check API_KEY or sidecar.api_key, or pair again with `chatixia pair CODE`"
        case .forbidden(let message): "the registry refused the request (403: \(message))"
        case .rateLimited(let retryAfter, let message):
            "the registry is rate-limiting this client (429: \(message))" + (retryAfter.map { "; retry in \($0) s" } ?? "")
        case .notFound(let message): "not found (404: \(message))"
        case .rejected(let status, let message): "the registry answered \(status): \(message)"
        case .badResponse(let url, let reason): "unexpected answer from \(url): \(reason)"
        }
    }
}
