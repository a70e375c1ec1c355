import Foundation
import Logging
import MCP

/// One stdio MCP server from the manifest's `mcp_servers`: a child process (stderr to its log file) that is
/// initialized and asked for its tools, whose tools are then called through the SDK's `Client`, and which is
/// stopped at shutdown (stdin closed, then SIGTERM, then SIGKILL).
///
/// A server that dies fails the calls waiting on it at once, and every later call, with its exit status and
/// the end of its stderr; a call that gets no answer is cancelled after `callTimeout`.
actor MCPServerConnection {
    nonisolated let name: String
    let configuration: Manifest.MCPServer
    let logFile: URL
    let logger: Logger
    let startTimeout: Duration
    let callTimeout: Duration
    private let client = Client(name: "chatixia", version: "0.2.0")
    private var pid: pid_t?
    private var exitStatus: Int32?
    /// The client was disconnected: the server went away, timed out at startup, or is being stopped.
    private var closed = false
    private var stopping = false
    private var startTimedOut = false

    init(_ configuration: Manifest.MCPServer, logFile: URL, logger: Logger, startTimeout: Duration = .seconds(30), callTimeout: Duration = .seconds(60)) {
        name = configuration.name
        self.configuration = configuration
        self.logFile = logFile
        self.logger = logger
        self.startTimeout = startTimeout
        self.callTimeout = callTimeout
    }

    /// Starts the server in `directory` with the baseline of the agent's `environment` plus its own `env`
    /// (`ChildEnvironment`), and returns its tools.
    func start(environment: [String: String], directory: URL) async throws -> [Tool] {
        let command = configuration.command
        let resolved = command.contains("/") ? directory.appendingPathComponent(command).standardized.path : command
        let serverEnvironment = ChildEnvironment.make(from: environment, setting: ChildEnvironment.resolve(configuration.env, from: environment))
        let path = serverEnvironment["PATH"]
        guard let executable = command.hasPrefix("/") ? URL(fileURLWithPath: command) : ChildProcess.which(resolved, path: path) else {
            throw MCPServerError.commandNotFound(server: name, command: command)
        }
        let transport = try spawn(executable, environment: serverEnvironment, directory: directory)

        let timer = Task {
            try await Task.sleep(for: startTimeout)
            await startTookTooLong()
        }
        defer { timer.cancel() }
        do {
            try await client.connect(transport: transport)
            var tools: [Tool] = []
            var cursor: String?
            repeat {
                let page = try await client.listTools(cursor: cursor)
                tools += page.tools
                cursor = page.nextCursor
            } while cursor != nil
            return tools
        } catch {
            if startTimedOut { throw MCPServerError.timedOut(server: name, what: "initialize and tools/list", seconds: startTimeout.inSeconds) }
            if closed { throw await exitError() }
            await stop()
            throw MCPServerError.startFailed(server: name, reason: "\(error)")
        }
    }

    private func spawn(_ executable: URL, environment: [String: String], directory: URL) throws -> MCPPipeTransport {
        let process = Process()
        process.executableURL = executable
        process.arguments = configuration.args
        process.environment = environment
        process.currentDirectoryURL = directory
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        _ = try log.seekToEnd()
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = log
        process.terminationHandler = { [weak self] finished in
            let status = finished.terminationStatus
            Task { await self?.processExited(status) }
        }
        // Writing to a server that has died must fail the write, not kill the agent with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            try process.run()
        } catch {
            throw MCPServerError.startFailed(server: name, reason: "cannot run \(executable.path): \(error.localizedDescription)")
        }
        pid = process.processIdentifier
        logger.info("MCP server started", metadata: ["server": "\(name)", "pid": "\(process.processIdentifier)", "log": "\(logFile.path)"])
        // SwiftNIO takes its own copies of our ends of the pipes; Foundation's are closed.
        let input = dup(stdout.fileHandleForReading.fileDescriptor), output = dup(stdin.fileHandleForWriting.fileDescriptor)
        try? stdout.fileHandleForReading.close()
        try? stdin.fileHandleForWriting.close()
        // The SDK's client logs through its transport's logger; what it would say (a closed stream as an error)
        // this type reports itself, so only its critical lines get through.
        var sdkLogger = logger
        sdkLogger.logLevel = .critical
        return MCPPipeTransport(input: input, output: output, logger: sdkLogger) { [weak self] in
            Task { await self?.connectionClosed() }
        }
    }

    /// Calls a tool; arguments were validated against its schema already.
    func call(_ tool: String, arguments: [String: Value]) async throws -> CallTool.Result {
        if closed { throw await exitError() }
        let context: RequestContext<CallTool.Result> = try await client.send(CallTool.request(.init(name: tool, arguments: arguments)))
        let id = context.requestID
        let timer = Task {
            try await Task.sleep(for: callTimeout)
            try? await client.cancelRequest(id, reason: "no answer within \(callTimeout.inSeconds) s")
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await context.value
            } onCancel: {
                Task { try? await self.client.cancelRequest(id, reason: "the caller went away") }
            }
        } catch is CancellationError where !Task.isCancelled && !closed {
            throw MCPServerError.timedOut(server: name, what: "tools/call \(tool)", seconds: callTimeout.inSeconds)
        } catch let error as MCPError where !closed {
            // The server answered with a JSON-RPC error (an unknown tool, invalid params, a crash inside the tool).
            throw SkillError.failed(skill: tool, reason: error.errorDescription ?? "\(error)")
        } catch where closed && !stopping {
            throw await exitError()
        }
    }

    /// Disconnects and ends the process: its stdin closes (servers exit on that), then SIGTERM, then SIGKILL.
    func stop() async {
        stopping = true
        await closeClient()
        guard let pid, exitStatus == nil else { return }
        if await waitForExit(within: .seconds(2)) { return }
        kill(pid, SIGTERM)
        if await waitForExit(within: .seconds(2)) { return }
        kill(pid, SIGKILL)
        _ = await waitForExit(within: .seconds(2))
    }

    private func closeClient() async {
        guard !closed else { return }
        closed = true
        // Fails every request still waiting on this server.
        await client.disconnect()
    }

    private func connectionClosed() async {
        if !stopping && !closed { logger.warning("MCP server closed its connection; its tools fail from now on", metadata: ["server": "\(name)"]) }
        await closeClient()
    }

    private func processExited(_ status: Int32) async {
        exitStatus = status
        if !stopping { logger.warning("MCP server exited", metadata: ["server": "\(name)", "status": "\(status)", "log": "\(logFile.path)"]) }
        await closeClient()
    }

    private func startTookTooLong() async {
        startTimedOut = true
        await stop()
    }

    private func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return exitStatus != nil
    }

    /// The server is gone: how it ended and the last lines it wrote to stderr.
    private func exitError() async -> MCPServerError {
        if exitStatus == nil, !(await waitForExit(within: .seconds(2))), let pid {
            // Its stdout closed but it lives on: it is of no use any more.
            kill(pid, SIGKILL)
            _ = await waitForExit(within: .seconds(2))
        }
        return .exited(server: name, status: exitStatus ?? -1, log: Self.tail(of: logFile))
    }

    /// The last few lines of a log file, on one line.
    static func tail(of file: URL, bytes: Int = 600) -> String {
        guard let data = try? Data(contentsOf: file) else { return "" }
        let text = String(decoding: data.suffix(bytes), as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(4).joined(separator: " | ")
    }
}
