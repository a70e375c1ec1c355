import Synchronization

/// A2A calls that hold a connection open (a blocking SendMessage waiting for its task, a stream) per
/// credential, so one credential cannot pin an unbounded number of them.
final class OpenCalls: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts one more open call for `peerId`, or throws 429 at the limit.
    func enter(_ peerId: String) throws(APIError) {
        let admitted = counts.withLock { counts in
            guard counts[peerId, default: 0] < limit else { return false }
            counts[peerId, default: 0] += 1
            return true
        }
        guard admitted else {
            throw APIError(.tooManyRequests, "this credential already has \(limit) A2A calls waiting or streaming, the limit", retryAfterSeconds: 1)
        }
    }

    func leave(_ peerId: String) {
        counts.withLock { counts in
            counts[peerId, default: 1] -= 1
            if counts[peerId] == 0 { counts[peerId] = nil }
        }
    }
}
