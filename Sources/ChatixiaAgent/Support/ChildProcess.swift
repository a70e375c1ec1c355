import CSpawn
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

    struct SpawnError: Error, CustomStringConvertible {
        let executable: String
        let errno: Int32
        var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
    }

    /// Started with posix_spawn rather than Foundation's `Process`, which on Linux is never freed (with its
    /// pipes, until they were closed by hand) and costs more to start: a skill call is a process start.
    static func run(
        _ executable: URL, arguments: [String], input: Data, environment: [String: String], directory: URL,
        timeout: Duration, outputLimit: Int
    ) async throws -> Outcome {
        let child = try start(executable, arguments: arguments, environment: environment, directory: directory)
        let pid = child.pid

        // Blocking I/O and the wait run on dispatch threads, never on the cooperative pool: each on a serial
        // queue of its own, which gets a thread at once. On the global queue the two reads could hold all of
        // its threads (as many as cores) while the write that the child waits for sits queued behind them.
        DispatchQueue(label: "chatixia.child.stdin").async {
            writeAll(input, to: child.input)
            close(child.input)
        }
        async let output = drain(child.output, limit: outputLimit)
        async let errorOutput = drain(child.errorOutput, limit: 64 << 10)
        let deadline = Task<Bool, Never> {
            do { try await Task.sleep(for: timeout) } catch { return false }
            kill(pid, SIGTERM)
            try? await Task.sleep(for: .seconds(2))
            kill(pid, SIGKILL)
            return true
        }
        let status = await withTaskCancellationHandler {
            await waitForExit(pid)
        } onCancel: {
            kill(pid, SIGKILL)
        }
        deadline.cancel()
        let (kept, truncated) = await output
        return Outcome(status: status, output: kept, outputTruncated: truncated, errorOutput: await errorOutput.0, timedOut: await deadline.value)
    }

    /// A started child: its pid and our ends of its stdin, stdout and stderr.
    struct Started {
        let pid: pid_t
        let input: Int32
        let output: Int32
        let errorOutput: Int32
    }

    /// Starts `executable` with pipes for its stdin, stdout and stderr; the caller closes the three ends.
    static func start(_ executable: URL, arguments: [String], environment: [String: String], directory: URL) throws -> Started {
        let stdin = try pipe(), stdout = try pipe(), stderr = try pipe()
        let pid: pid_t
        do {
            pid = try spawn(executable.path, arguments: arguments, environment: environment, directory: directory.path,
                            stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
        } catch {
            for fd in [stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write] { close(fd) }
            throw error
        }
        for fd in [stdin.read, stdout.write, stderr.write] { close(fd) }
        return Started(pid: pid, input: stdin.write, output: stdout.read, errorOutput: stderr.read)
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let result = cspawn_pipe(&fds)
        guard result == 0 else { throw SpawnError(executable: "a pipe", errno: result) }
        return (fds[0], fds[1])
    }

    /// Starts the program with the given descriptors as its stdin, stdout and stderr (ours are all
    /// close-on-exec), in `directory`, with default signal handling whatever ours is.
    private static func spawn(
        _ path: String, arguments: [String], environment: [String: String], directory: String, stdin: Int32, stdout: Int32, stderr: Int32
    ) throws -> pid_t {
        // A child that exits without reading its input must not kill us with SIGPIPE when we write to it.
        signal(SIGPIPE, SIG_IGN)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid = pid_t()
        var result = cspawn(&pid, path, argv, envp, directory, stdin, stdout, stderr)
        // ETXTBSY: a handler written a moment ago is still open for writing in a child another thread just
        // forked (until that child's exec closes it); the window is microseconds, so try again briefly.
        for _ in 0..<20 where result == ETXTBSY {
            usleep(5_000)
            result = cspawn(&pid, path, argv, envp, directory, stdin, stdout, stderr)
        }
        guard result == 0 else { throw SpawnError(executable: path, errno: result) }
        return pid
    }

    /// The exit status (or the number of the signal that ended it), once the child has ended.
    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "chatixia.child.wait").async { continuation.resume(returning: reap(pid)) }
        }
    }

    /// Waits (blocking) for the child to end and collects it; its exit status, or the signal that ended it.
    @discardableResult
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    /// Reads a pipe to its end, keeping the first `limit` bytes (the rest is read and dropped so the child
    /// never blocks), then closes it.
    static func drain(_ fd: Int32, limit: Int) async -> (Data, Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "chatixia.child.output").async {
                var kept = Data()
                var truncated = false
                readChunks(fd) { chunk in
                    let room = limit - kept.count
                    if chunk.count > room { truncated = true }
                    if room > 0 { kept.append(contentsOf: chunk.prefix(room)) }
                }
                close(fd)
                continuation.resume(returning: (kept, truncated))
            }
        }
    }

    /// Writes all of `data` to `fd`, blocking; stops early if the reader has gone.
    static func writeAll(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Reads `fd` to its end, blocking, handing each chunk to `body`.
    static func readChunks(_ fd: Int32, _ body: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            body(Array(buffer[0..<count]))
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
