import Foundation
import MeshProtocol
import Synchronization

/// One long-lived Python process with a `handler.py` loaded, answering one call at a time: a JSON line
/// `{"args": {...}}` in, a JSON line `{"result": "..."}` or `{"error": "<traceback>"}` out. What the handler
/// prints goes to its stderr, whose tail is kept for error messages.
final class PythonWorker: Sendable {
    enum Reply: Equatable {
        case result(String)
        case raised(String)
        case timedOut
        /// The process ended (or never answered properly); the tail of its stderr says why.
        case exited(String)
    }

    let pid: pid_t
    private let input: Int32
    private let replies = LineMailbox()
    private let errorTail = Mutex<[UInt8]>([])
    private static let errorTailBytes = 4096

    /// Loads `handler.py` (its module's state lives on between calls, as it did upstream, where
    /// handlers were imported into the agent) and reads its `handle(**kwargs)` answers: a generator's pieces
    /// (`str()` of each) as `{"delta"}` lines while it yields, then their concatenation as the result; text as
    /// upstream (`str()`), except a structured result (`A2AResult`: a dict with `parts` or `artifacts`, or a `state` of
    /// `input_required` or `rejected`), sent as JSON.
    static let shim = """
        import asyncio, importlib.util, inspect, json, sys, traceback
        spec = importlib.util.spec_from_file_location("skill_handler", sys.argv[1])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        replies, sys.stdout = sys.stdout, sys.stderr
        for line in sys.stdin:
            try:
                result = module.handle(**json.loads(line)["args"])
                if inspect.isawaitable(result):
                    result = asyncio.run(result)
                if inspect.isgenerator(result):
                    pieces = []
                    for piece in result:
                        pieces.append(str(piece))
                        replies.write(json.dumps({"delta": pieces[-1]}) + "\\n")
                        replies.flush()
                    result = "".join(pieces)
                structured = isinstance(result, dict) and ("parts" in result or "artifacts" in result or result.get("state") in ("input_required", "rejected"))
                reply = {"result": "" if result is None else json.dumps(result) if structured else str(result)}
            except Exception:
                reply = {"error": traceback.format_exc()}
            replies.write(json.dumps(reply) + "\\n")
            replies.flush()
        """

    init(python: URL, handler: URL, folder: URL, environment: [String: String]) throws {
        let child = try ChildProcess.start(python, arguments: ["-c", Self.shim, handler.path], environment: environment, directory: folder)
        pid = child.pid
        input = child.input
        // Blocking reads on dispatch threads of their own, never on the cooperative pool.
        DispatchQueue(label: "chatixia.python-worker.stdout").async { [replies, pid] in
            Self.readLines(child.output) { replies.put($0) }
            close(child.output)
            // Ended before reaped: once the pid is gone, `hasExited` is already true.
            replies.end()
            ChildProcess.reap(pid)
        }
        DispatchQueue(label: "chatixia.python-worker.stderr").async {
            ChildProcess.readChunks(child.errorOutput) { chunk in
                self.errorTail.withLock { tail in
                    tail.append(contentsOf: chunk)
                    if tail.count > Self.errorTailBytes { tail.removeFirst(tail.count - Self.errorTailBytes) }
                }
            }
            close(child.errorOutput)
        }
    }

    /// One call, its pieces (a generator handler's) to `onDelta` as they come; after `.timedOut` or `.exited`
    /// the process is gone and this worker must not be used again.
    func call(_ arguments: Data, timeout: Duration, onDelta: ChatCompletionClient.DeltaHandler?) async -> Reply {
        var line = Data(#"{"args":"#.utf8)
        line.append(arguments)
        line.append(contentsOf: Array("}\n".utf8))
        let (request, input) = (line, input)
        // The write can block while the handler is busy: on a dispatch thread, not the cooperative pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue(label: "chatixia.python-worker.stdin").async {
                ChildProcess.writeAll(request, to: input)
                continuation.resume()
            }
        }
        let pid = pid
        let deadline = Task<Bool, Never> {
            do { try await Task.sleep(for: timeout) } catch { return false }
            kill(pid, SIGKILL)
            return true
        }
        // Cancelling the call (its task was canceled) kills the handler; the pool then replaces the worker.
        while true {
            let answer = await withTaskCancellationHandler { await replies.next() } onCancel: { kill(pid, SIGKILL) }
            guard let answer, case .object(let reply)? = try? JSONDecoder().decode(JSONValue.self, from: Data(answer.utf8)) else {
                deadline.cancel()
                if await deadline.value { return .timedOut }
                kill(pid, SIGKILL)
                return .exited(errorOutput())
            }
            if let delta = reply["delta"]?.stringValue {
                await onDelta?(delta)
                continue
            }
            deadline.cancel()
            if await deadline.value { return .timedOut }
            if let result = reply["result"]?.stringValue { return .result(result) }
            return .raised(reply["error"]?.stringValue ?? "handler failed")
        }
    }

    /// Whether the process has gone (its output ended), say killed while idle.
    var hasExited: Bool { replies.hasEnded }

    /// Ends the process: it sees the end of its input and exits.
    func stop() {
        close(input)
    }

    func errorOutput() -> String {
        String(decoding: errorTail.withLock { $0 }, as: UTF8.self)
    }

    private static func readLines(_ fd: Int32, _ body: (String) -> Void) {
        var pending: [UInt8] = []
        ChildProcess.readChunks(fd) { chunk in
            pending.append(contentsOf: chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                body(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
    }
}
