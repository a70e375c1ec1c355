/// Why a mesh operation failed.
public enum MeshClientError: Error, Equatable, CustomStringConvertible {
    case notAttached
    case refused(String)
    case timedOut(what: String, seconds: Double)
    case connectionLost

    public var description: String {
        switch self {
        case .notAttached: "not connected to the sidecar"
        case .refused(let reason): "the sidecar refused: \(reason)"
        case .timedOut(let what, let seconds): "\(what) got no answer within \(String(format: "%g", seconds)) s"
        case .connectionLost: "the connection to the sidecar was lost"
        }
    }
}
