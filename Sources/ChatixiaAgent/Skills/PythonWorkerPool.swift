import Foundation

/// The processes serving one `handler.py`: a call costs a line each way instead of an interpreter start
/// (tens of milliseconds). A process serves one call at a time; while all are busy another starts, up to
/// `maxProcesses`, beyond which calls wait their turn. A process that timed out or died is not reused.
actor PythonWorkerPool {
    static let maxProcesses = 4

    private let handler: URL
    private let folder: URL
    private var idle: [PythonWorker] = []
    private var started = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(handler: URL, folder: URL) {
        self.handler = handler
        self.folder = folder
    }

    /// A skill that is dropped (its set reloaded) lets its processes go: they see the end of their input.
    deinit {
        for worker in idle { worker.stop() }
    }

    func call(
        _ arguments: Data, python: URL, environment: [String: String], timeout: Duration, onDelta: ChatCompletionClient.DeltaHandler?
    ) async throws -> PythonWorker.Reply {
        let worker = try await acquire(python: python, environment: environment)
        let reply = await worker.call(arguments, timeout: timeout, onDelta: onDelta)
        switch reply {
        case .result, .raised:
            idle.append(worker)
        case .timedOut, .exited:
            worker.stop()
            started -= 1
        }
        if !waiting.isEmpty { waiting.removeFirst().resume() }
        return reply
    }

    private func acquire(python: URL, environment: [String: String]) async throws -> PythonWorker {
        while true {
            if let worker = idle.popLast() {
                // One that died while idle (killed, out of memory) is replaced, not handed a call it cannot answer.
                guard worker.hasExited else { return worker }
                worker.stop()
                started -= 1
                continue
            }
            if started < Self.maxProcesses {
                started += 1
                do {
                    return try PythonWorker(python: python, handler: handler, folder: folder, environment: environment)
                } catch {
                    started -= 1
                    throw error
                }
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }
}
