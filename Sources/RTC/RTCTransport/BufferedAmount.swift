import Synchronization

/// A driver's `bufferedAmount` and when `.bufferedAmountLow` is due, kept across threads: senders off the loop
/// count their messages into the outbox, the loop moves them into the connection and publishes what the connection
/// still holds after each flush.
///
/// Low water is due when the amount falls to the threshold after it was above it as the loop saw it, or after a
/// sender off the loop may have seen it above: such a sender reads the amount between the loop's flushes, and would
/// otherwise wait for ever when the loop sends its message at once and never sees the amount high (as WebRTC's
/// single-threaded applications cannot, a threaded sender can check after the loop already took its message).
final class BufferedAmount: Sendable {
    let lowThreshold: Int
    private let outboxBytes = Atomic<Int>(0)
    /// The connection's own queue beyond SCTP's send buffer, as of the last flush.
    private let connectionBytes = Atomic<Int>(0)
    /// A sender's count took the total above the threshold since the loop last published.
    private let lowOwed = Atomic<Bool>(false)
    /// The total was above the threshold when the loop last published.
    private let wasAbove = Atomic<Bool>(false)

    init(lowThreshold: Int) {
        self.lowThreshold = lowThreshold
    }

    var total: Int { outboxBytes.load(ordering: .relaxed) + connectionBytes.load(ordering: .relaxed) }

    /// A sender off the loop counts its message before handing it to the outbox (whose lock then orders this
    /// before the loop takes the message, and so before the loop's next `published`).
    func queued(_ bytes: Int) {
        let total = outboxBytes.add(bytes, ordering: .relaxed).newValue + connectionBytes.load(ordering: .relaxed)
        if total > lowThreshold { lowOwed.store(true, ordering: .sequentiallyConsistent) }
    }

    /// The loop handed `bytes` of the outbox to the connection.
    func taken(_ bytes: Int) {
        outboxBytes.subtract(bytes, ordering: .relaxed)
    }

    /// The loop publishes what the connection holds after a flush; true when `.bufferedAmountLow` is due now.
    func published(connectionBytes bytes: Int) -> Bool {
        connectionBytes.store(bytes, ordering: .relaxed)
        let owed = lowOwed.exchange(false, ordering: .sequentiallyConsistent)
        let total = self.total
        let due = (wasAbove.load(ordering: .relaxed) || owed) && total <= lowThreshold
        wasAbove.store(total > lowThreshold, ordering: .relaxed)
        return due
    }
}
