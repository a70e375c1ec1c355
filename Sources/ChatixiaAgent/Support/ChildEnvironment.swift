/// The environment a skill handler or MCP server starts with: least privilege. Only what every program
/// needs to run (PATH, HOME, locale, time zone, temp dir) comes from the agent's environment, plus what the
/// skill or server declares; the agent's credentials (`API_KEY`, `DEVICE_TOKEN`, `TURN_SECRET`) and its
/// LLM provider's keys never reach it unless declared by name.
enum ChildEnvironment {
    static let baseline: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"]

    /// The baseline from `agent`, the `passing` names taken from `agent` too, then `setting` on top.
    static func make(from agent: [String: String], passing names: [String] = [], setting values: [String: String] = [:]) -> [String: String] {
        var child = agent.filter { baseline.contains($0.key) || $0.key.hasPrefix("LC_") }
        for name in names { child[name] = agent[name] }
        child.merge(values) { $1 }
        return child
    }

    /// MCP `env` values: a value `${NAME}` is taken from the agent's environment (so a secret can stay in
    /// `.env` instead of agent.yaml); any other value is literal.
    static func resolve(_ declared: [String: String], from agent: [String: String]) -> [String: String] {
        declared.compactMapValues { value in
            guard value.hasPrefix("${"), value.hasSuffix("}"), value.count > 3 else { return value }
            return agent[String(value.dropFirst(2).dropLast())]
        }
    }
}
