import Foundation

/// A bounded queue of frames to one WebSocket client. A client that falls `capacity` frames behind is
/// closed rather than buffered without limit.
final class OutboundQueue: Sendable {
    enum Item: Sendable {
        case text(String)
        case close(code: UInt16, reason: String)
    }

    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation

    init(capacity: Int = 1024) {
        (items, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(capacity))
    }

    /// Queues a frame; a full queue means a stuck client, which is then closed.
    func send(_ text: String) {
        if case .dropped = continuation.yield(.text(text)) {
            close(code: 1008, reason: "client too slow")
        }
    }

    /// Asks the writer to close the connection after what is already queued.
    func close(code: UInt16, reason: String) {
        // A full queue cannot take the close item: finishing ends the writer, which closes the socket.
        if case .dropped = continuation.yield(.close(code: code, reason: reason)) { continuation.finish() }
    }

    func finish() {
        continuation.finish()
    }
}
