#if canImport(Glibc)
import Glibc
#endif
import Logging
import MeshProtocol
import NIOCore
import NIOPosix

/// What the IPC connections ask of the mesh (the rest of an agent's commands run on the data plane).
protocol MeshCommands: Sendable {
    /// Connects to `target` unless a link to it exists or is on its way; the error if it cannot.
    func connect(to target: String) async -> MeshCommandError?
    /// Why a send to `target` cannot go: it has no open DataChannel.
    func refusal(sendingTo target: String) async -> MeshCommandError
}

/// The agent-facing Unix socket: newline-delimited JSON, one active client at a time, optional hello
/// token, 2 MiB line limit (a 1 MiB MeshMessage plus its envelope fits with room to spare). Its connections
/// live on the data plane's loop (`IPCConnectionHandler`).
final class IPCServer: Sendable {
    static let maxLineLength = 2 << 20
    static let socketBufferBytes: SocketOptionValue = 1 << 20
    /// How long a new agent waits for the slot: a restarted agent may connect before the sidecar has seen
    /// its predecessor's socket close.
    static let claimPatience: TimeAmount = .milliseconds(500)

    let path: String
    private let token: String?
    private let mesh: any MeshCommands
    private let dataPlane: DataPlane
    private let logger: Logger

    init(path: String, token: String?, mesh: any MeshCommands, dataPlane: DataPlane, logger: Logger) {
        self.path = path
        self.token = token
        self.mesh = mesh
        self.dataPlane = dataPlane
        self.logger = logger
    }

    /// Binds the socket and serves clients until cancelled.
    func run(privateDirectory: Bool) async throws {
        try prepareSocketPath(privateDirectory: privateDirectory)
        let (token, mesh, dataPlane, logger) = (self.token, self.mesh, self.dataPlane, self.logger)
        // Created 0600 from the start: no window in which another user could connect.
        let previousMask = umask(0o177)
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: dataPlane.loop)
                // Lines of a mebibyte move in few reads and writes, each waking the other side once.
                .childChannelOption(.socketOption(.so_sndbuf), value: Self.socketBufferBytes)
                .childChannelOption(.socketOption(.so_rcvbuf), value: Self.socketBufferBytes)
                .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 64 << 10, maximum: 1 << 20))
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: Self.maxLineLength)))
                        try channel.pipeline.syncOperations.addHandler(IPCConnectionHandler(dataPlane: dataPlane, mesh: mesh, token: token, logger: logger))
                    }
                }
                .bind(unixDomainSocketPath: path).get()
            umask(previousMask)
        } catch {
            umask(previousMask)
            throw error
        }
        logger.info("IPC socket ready", metadata: ["path": "\(path)"])
        defer { unlink(path) }
        try await withTaskCancellationHandler {
            try await server.closeFuture.get()
        } onCancel: {
            server.close(promise: nil)
        }
    }

    /// The default socket's directory is ours alone (0700); a chosen path must be in a directory nobody else
    /// controls. A stale socket file is replaced, but anything else at the path is left alone and reported.
    private func prepareSocketPath(privateDirectory: Bool) throws {
        do throws(IPCSocketPath.Unsafe) {
            if privateDirectory {
                try IPCSocketPath.preparePrivate(path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
            } else {
                try IPCSocketPath.checkChosen(path)
            }
        } catch {
            throw IPCServerError(error.description)
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw IPCServerError("\(path) exists and is not a socket; refusing to replace it")
            }
            unlink(path)
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

struct IPCServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
