import Foundation
import Logging

/// Runs the sidecar process and restarts it with backoff when it dies; stops it when its task is cancelled.
public struct SidecarSupervisor: Sendable {
    public struct KeepsFailing: Error, CustomStringConvertible {
        public let status: Int32
        public let logFile: URL
        public var description: String {
            "the sidecar keeps exiting (last status \(status)); see \(logFile.path)"
        }
    }

    public let binary: URL
    public let environment: [String: String]
    public let logFile: URL
    let logger: Logger
    /// Give up after this many exits in a row that each came within `healthyRun` of starting.
    let maxQuickFailures = 5
    let healthyRun = Duration.seconds(30)

    public init(binary: URL, environment: [String: String], logFile: URL, logger: Logger) {
        self.binary = binary
        self.environment = environment
        self.logFile = logFile
        self.logger = logger
    }

    public func run() async throws {
        var backoff = Duration.milliseconds(500)
        var quickFailures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let status = try await runOnce()
            if Task.isCancelled { return }
            if ContinuousClock.now - started >= healthyRun {
                backoff = .milliseconds(500)
                quickFailures = 0
            } else {
                quickFailures += 1
                if quickFailures >= maxQuickFailures { throw KeepsFailing(status: status, logFile: logFile) }
            }
            logger.warning("the sidecar exited; restarting", metadata: ["status": "\(status)", "in": "\(backoff)", "log": "\(logFile.path)"])
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Starts the sidecar and waits for it to exit; on cancellation it gets SIGTERM, then SIGKILL after 5 s.
    func runOnce() async throws -> Int32 {
        let process = Process()
        process.executableURL = binary
        process.arguments = []
        process.environment = environment
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        _ = try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let (exits, exit) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            exit.yield(finished.terminationStatus)
            exit.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        logger.info("sidecar started", metadata: ["pid": "\(pid)", "binary": "\(binary.path)", "log": "\(logFile.path)"])
        return await withTaskCancellationHandler {
            var status: Int32 = -1
            for await code in exits { status = code }
            return status
        } onCancel: {
            kill(pid, SIGTERM)
            Task.detached {
                try? await Task.sleep(for: .seconds(5))
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
    }
}
