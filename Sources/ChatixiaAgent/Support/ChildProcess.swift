import Foundation

/// Runs a program to completion with input on stdin, a deadline and capped output (skill handlers).
enum ChildProcess {
    struct Outcome: Sendable {
        var status: Int32
        var output: Data
        var outputTruncated: Bool
        var errorOutput: Data
        var timedOut: Bool
    }

    static func run(
        _ executable: URL, arguments: [String], input: Data, environment: [String: String], directory: URL,
        timeout: Duration, outputLimit: Int
    ) async throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let (exits, exit) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            exit.yield(finished.terminationStatus)
            exit.finish()
        }
        // A handler that exits without reading its input must not kill us with SIGPIPE when we write it.
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        let pid = process.processIdentifier

        // Blocking pipe I/O runs on dispatch threads, never on the cooperative pool: each on a serial queue of
        // its own, which gets a thread at once. On the global queue the two reads could hold all of its threads
        // (as many as cores) while the write that the child waits for sits queued behind them.
        DispatchQueue(label: "chatixia.child.stdin").async {
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        async let output = drain(stdout.fileHandleForReading, limit: outputLimit)
        async let errorOutput = drain(stderr.fileHandleForReading, limit: 64 << 10)
        let deadline = Task<Bool, Never> {
            do { try await Task.sleep(for: timeout) } catch { return false }
            kill(pid, SIGTERM)
            try? await Task.sleep(for: .seconds(2))
            kill(pid, SIGKILL)
            return true
        }
        let status = await withTaskCancellationHandler {
            var status: Int32 = -1
            for await code in exits { status = code }
            return status
        } onCancel: {
            kill(pid, SIGKILL)
        }
        deadline.cancel()
        let (kept, truncated) = await output
        return Outcome(status: status, output: kept, outputTruncated: truncated, errorOutput: await errorOutput.0, timedOut: await deadline.value)
    }

    /// Reads a pipe to its end, keeping the first `limit` bytes (the rest is read and dropped so the child never
    /// blocks), then closes it: on Linux Foundation never frees a `Process` and so neither its pipes, whose
    /// descriptors would stay open, two per call.
    static func drain(_ handle: FileHandle, limit: Int) async -> (Data, Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "chatixia.child.output").async {
                var kept = Data()
                var truncated = false
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    let room = limit - kept.count
                    if chunk.count > room { truncated = true }
                    if room > 0 { kept.append(chunk.prefix(room)) }
                }
                try? handle.close()
                continuation.resume(returning: (kept, truncated))
            }
        }
    }

    /// The first executable called `name` on `PATH` (or `name` itself when it contains a slash).
    static func which(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil
        }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
