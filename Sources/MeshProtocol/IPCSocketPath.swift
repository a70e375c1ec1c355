#if canImport(Glibc)
import Glibc
#endif

/// Where an agent's IPC socket lives and what makes its directory safe: one rule for `chatixia run`, which
/// picks the path, and the sidecar, which binds it.
public enum IPCSocketPath {
    /// The private directory for sockets: `$XDG_RUNTIME_DIR/chatixia`, else `/tmp/chatixia-<uid>`.
    public static func privateDirectory(environment: [String: String], userID: UInt32 = getuid()) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return "\(runtime)/chatixia" }
        return "/tmp/chatixia-\(userID)"
    }

    /// A socket refused because of where it would live.
    public struct Unsafe: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Creates `directory` 0700 if it is missing; refuses a symlink, a non-directory, or one owned by another
    /// user (who could then replace our socket), and takes group and other permissions off our own.
    public static func preparePrivate(_ directory: String, userID: UInt32 = getuid()) throws(Unsafe) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw Unsafe(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Unsafe(description: "\(directory) is not a directory (a symlink is refused)")
        }
        guard info.st_uid == userID else { throw Unsafe(description: "\(directory) is owned by another user (uid \(info.st_uid))") }
        if info.st_mode & 0o077 != 0, chmod(directory, 0o700) != 0 {
            throw Unsafe(description: "cannot make \(directory) private: \(String(cString: strerror(errno)))")
        }
    }

    /// Checks a socket path someone chose: its directory must be a real directory that only this user (or
    /// root) controls, or a sticky one like /tmp where others cannot remove our socket; whatever already sits
    /// at the path must be our own socket.
    public static func checkChosen(_ path: String, userID: UInt32 = getuid()) throws(Unsafe) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Unsafe(description: "the socket's directory \(directory) is missing or not a directory (a symlink is refused)")
        }
        guard info.st_uid == userID || info.st_uid == 0 else {
            throw Unsafe(description: "the socket's directory \(directory) is owned by another user (uid \(info.st_uid))")
        }
        if info.st_mode & 0o022 != 0, info.st_mode & S_ISVTX == 0 {
            throw Unsafe(description: "the socket's directory \(directory) is writable by other users and not sticky")
        }
        if lstat(path, &info) == 0, info.st_uid != userID {
            throw Unsafe(description: "\(path) already exists and belongs to another user")
        }
    }
}
