import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// A WebSocket test client with a linear API: send, then await the next frame (with a timeout).
final class WebSocketProbe: Sendable {
    private struct Inbox {
        var frames: [String] = []
        var closed = false
        var closeCode: Int?
        var failure: String?
    }

    /// Shared with the connection task, which outlives no probe method but runs beside them.
    private final class SharedInbox: Sendable {
        let state = Mutex(Inbox())
        func withLock<T: Sendable>(_ body: (inout sending Inbox) -> sending T) -> T { state.withLock(body) }
    }

    private let inbox = SharedInbox()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(port: Int, path: String) {
        let (outgoingStream, outgoing) = AsyncStream<String>.makeStream()
        self.outgoing = outgoing
        let inbox = self.inbox
        task = Task {
            do {
                let frame = try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(maxFrameSize: 1 << 21), logger: Logger(label: "probe")
                ) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outgoingStream { try await outbound.write(.text(text)) }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 1 << 21) {
                            if case .text(let text) = message { inbox.withLock { $0.frames.append(text) } }
                        }
                        group.cancelAll()
                    }
                }
                inbox.withLock { $0.closeCode = frame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } }
            } catch {
                inbox.withLock { $0.failure = "\(error)" }
            }
            inbox.withLock { $0.closed = true }
        }
    }

    func send(_ text: String) {
        outgoing.yield(text)
    }

    func send(json object: [String: Any]) throws {
        send(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The next frame as a JSON object; nil once the socket has closed. Fails after `timeout`.
    func next(timeout: Duration = .seconds(5)) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (frame, closed): (String?, Bool) = inbox.withLock { inbox in
                inbox.frames.isEmpty ? (nil, inbox.closed) : (inbox.frames.removeFirst(), false)
            }
            if let frame { return try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any] }
            if closed { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("no frame within \(timeout)\(inbox.withLock { $0.failure }.map { ": \($0)" } ?? "")")
    }

    /// Skips frames until one of `type` arrives.
    func next(type: String, timeout: Duration = .seconds(5)) async throws -> [String: Any] {
        while let frame = try await next(timeout: timeout) {
            if frame["type"] as? String == type { return frame }
        }
        throw TestFailure("socket closed before a '\(type)' frame (\(status))")
    }

    /// Waits for the socket to close; returns the server's close code.
    func waitClosed(timeout: Duration = .seconds(5)) async throws -> Int? {
        while try await next(timeout: timeout) != nil {}
        return inbox.withLock { $0.closeCode }
    }

    var status: String { inbox.withLock { "closed=\($0.closed) code=\(String(describing: $0.closeCode)) failure=\($0.failure ?? "-")" } }
    var failure: String? { inbox.withLock { $0.failure } }

    func close() async {
        outgoing.finish()
        await task.value
    }
}
