/// Why a skill call failed; the text is what the caller (a user, an LLM or a remote agent) sees.
public enum SkillError: Error, Equatable, CustomStringConvertible {
    case unknownSkill(String, available: [String])
    case invalidArguments(skill: String, problems: [String])
    case failed(skill: String, reason: String)
    case timedOut(skill: String, seconds: Double)
    case invalidDefinition(path: String, problem: String)

    public var description: String {
        switch self {
        case .unknownSkill(let name, let available):
            "unknown skill: \(name)" + (available.isEmpty ? "" : " (available: \(available.joined(separator: ", ")))")
        case .invalidArguments(let skill, let problems): "invalid arguments for \(skill): \(problems.joined(separator: "; "))"
        case .failed(let skill, let reason): "\(skill) failed: \(reason)"
        case .timedOut(let skill, let seconds): "\(skill) timed out after \(String(format: "%g", seconds)) s"
        case .invalidDefinition(let path, let problem): "\(path): \(problem)"
        }
    }
}
