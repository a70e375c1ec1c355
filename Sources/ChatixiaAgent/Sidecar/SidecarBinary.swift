import Foundation

/// Finds the sidecar program: manifest `sidecar.binary` → `$SIDECAR_BINARY` → `chatixia-sidecar` beside the
/// `chatixia` executable → `PATH` (CONTRACT.md §4).
public enum SidecarBinary {
    public static let defaultName = "chatixia-sidecar"

    public struct NotFound: Error, CustomStringConvertible {
        public let looked: [String]
        public var description: String {
            "cannot find the sidecar binary (looked at: \(looked.joined(separator: ", "))); build it with `swift build` and set "
                + "sidecar.binary in agent.yaml or SIDECAR_BINARY, or put chatixia-sidecar on PATH"
        }
    }

    public static func locate(manifest: Manifest, environment: [String: String], executableDirectory: URL? = Self.executableDirectory) throws -> URL {
        var looked: [String] = []
        func executable(_ url: URL) -> URL? {
            looked.append(url.path)
            return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
        }
        // An explicit path is the user's choice: if it is wrong, say so rather than run something else.
        if let configured = manifest.sidecar.binary, configured != defaultName {
            if configured.contains("/") {
                if let found = executable(manifest.resolve(configured)) { return found }
                throw NotFound(looked: looked)
            }
            if let found = ChildProcess.which(configured, path: environment["PATH"]) { return found }
            throw NotFound(looked: ["\(configured) on PATH"])
        }
        if let fromEnvironment = environment["SIDECAR_BINARY"], !fromEnvironment.isEmpty {
            let url = fromEnvironment.contains("/") ? URL(fileURLWithPath: NSString(string: fromEnvironment).expandingTildeInPath) : nil
            if let url, let found = executable(url) { return found }
            if url == nil, let found = ChildProcess.which(fromEnvironment, path: environment["PATH"]) { return found }
            throw NotFound(looked: looked + ["SIDECAR_BINARY=\(fromEnvironment)"])
        }
        if let executableDirectory, let found = executable(executableDirectory.appendingPathComponent(defaultName)) { return found }
        if let found = ChildProcess.which(defaultName, path: environment["PATH"]) { return found }
        throw NotFound(looked: looked + ["\(defaultName) on PATH"])
    }

    /// The directory of the running executable (symlinks resolved).
    public static var executableDirectory: URL? {
        Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
    }
}
