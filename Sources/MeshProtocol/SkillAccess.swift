/// Who may run a skill: a list of rules, each a credential subject (a peer id, e.g. `agent-3f2a1c`) or a role
/// (`role:admin`, `role:hub`, `role:agent`). No rules: any authenticated member (the default). Admins may
/// always. The registry applies the rules to task submissions and assignments, the agent to mesh requests.
public enum SkillAccess {
    /// Whether a caller with subject `peerId` and `role` may run a skill with `rules`. A role of nil (a mesh
    /// peer, whose credential's role the agent cannot see) matches `role:agent`: signaling admits only agent
    /// and admin credentials.
    /// The rules that are malformed: a `role:` entry naming no role.
    public static func invalidRules(_ rules: [String]) -> [String] {
        rules.filter { $0.hasPrefix("role:") && Role(rawValue: String($0.dropFirst(5))) == nil }
    }

    public static func permits(_ rules: [String], peerId: String, role: Role?) -> Bool {
        if rules.isEmpty || role == .admin { return true }
        return rules.contains(peerId) || rules.contains("role:" + (role ?? .agent).rawValue)
    }
}
