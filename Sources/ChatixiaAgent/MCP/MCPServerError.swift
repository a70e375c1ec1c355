/// Why an MCP server or one of its tools could not be used; the text is what the caller sees.
public enum MCPServerError: Error, Equatable, CustomStringConvertible {
    case commandNotFound(server: String, command: String)
    case startFailed(server: String, reason: String)
    case exited(server: String, status: Int32, log: String)
    case timedOut(server: String, what: String, seconds: Double)

    public var description: String {
        switch self {
        case .commandNotFound(let server, let command): "MCP server '\(server)': command \(command) was not found (PATH, or relative to agent.yaml)"
        case .startFailed(let server, let reason): "MCP server '\(server)' did not start: \(reason)"
        case .exited(let server, let status, let log):
            "MCP server '\(server)' exited with status \(status)" + (log.isEmpty ? "" : "; the end of its stderr: \(log)")
        case .timedOut(let server, let what, let seconds): "MCP server '\(server)' did not answer \(what) within \(Int(seconds)) s"
        }
    }
}
