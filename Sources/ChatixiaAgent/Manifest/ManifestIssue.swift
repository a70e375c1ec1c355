/// One problem found in a manifest: where it is, which field, what is wrong and what is allowed.
public struct ManifestIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var file: String
    public var line: Int?
    public var column: Int?
    /// Dotted path such as `sidecar.socket` or `skills.builtin[2]`.
    public var field: String
    public var problem: String
    public var allowed: String?

    public init(_ severity: Severity, file: String, line: Int? = nil, column: Int? = nil, field: String, problem: String, allowed: String? = nil) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.problem = problem
        self.allowed = allowed
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        return "\(location): \(severity.rawValue): \(field): \(problem)" + (allowed.map { " (allowed: \($0))" } ?? "")
    }
}

/// Why a manifest could not be read at all (as opposed to read with issues).
public enum ManifestLoadError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case noManifestInDirectory(String)
    case unreadable(String, String)
    case syntax(file: String, line: Int?, column: Int?, problem: String)
    case notAMapping(String)

    public var description: String {
        switch self {
        case .notFound(let path): "manifest not found: \(path) (create one with `chatixia init`)"
        case .noManifestInDirectory(let path): "no agent.yaml or agent.yml in \(path) (create one with `chatixia init`)"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .syntax(let file, let line, let column, let problem):
            "\(file)\(line.map { ":\($0)" } ?? "")\(column.map { ":\($0)" } ?? ""): error: not valid YAML: \(problem)"
        case .notAMapping(let file): "\(file): error: the manifest must be a YAML mapping of fields such as `name: my-agent`"
        }
    }
}

/// A manifest as read, with every issue found; usable only when `errors` is empty.
public struct ManifestReport: Sendable {
    public var manifest: Manifest
    public var issues: [ManifestIssue]

    public var errors: [ManifestIssue] { issues.filter { $0.severity == .error } }
    public var warnings: [ManifestIssue] { issues.filter { $0.severity == .warning } }
}
