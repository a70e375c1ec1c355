import Foundation
import Synchronization

/// A fixed-window counter per key (client IP): at most `limit` hits per `window` seconds.
final class RateLimiter: Sendable {
    private struct Window {
        var start: Double
        var count: Int
    }

    let limit: Int
    let window: Double
    let message: String
    private let windows = Mutex<[String: Window]>([:])

    init(limit: Int, window: Double, message: String = "too many requests, try again later") {
        self.limit = limit
        self.window = window
        self.message = message
    }

    /// Counts a hit; throws 429 with `Retry-After` once the key is over its limit.
    func hit(_ key: String, now: Double = Date().timeIntervalSince1970) throws(APIError) {
        let retryAfter: Double? = windows.withLock { windows in
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
            var entry = windows[key] ?? Window(start: now, count: 0)
            if now - entry.start >= window { entry = Window(start: now, count: 0) }
            entry.count += 1
            windows[key] = entry
            return entry.count > limit ? entry.start + window - now : nil
        }
        if let retryAfter {
            throw APIError(.tooManyRequests, message, retryAfterSeconds: max(1, Int(retryAfter.rounded(.up))))
        }
    }
}
