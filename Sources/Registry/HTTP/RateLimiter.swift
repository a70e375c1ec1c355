import Foundation
import Synchronization

/// A fixed-window counter per key (a client address or a credential): at most `limit` hits per `window` seconds.
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
        try refuse(count(key, adding: 1, now: now), over: limit, now: now)
    }

    /// Throws 429 if the key has used up its limit, without counting (the next hit would be refused).
    func check(_ key: String, now: Double = Date().timeIntervalSince1970) throws(APIError) {
        try refuse(count(key, adding: 0, now: now), over: limit - 1, now: now)
    }

    /// Counts a hit without refusing it (a failure that is answered on its own terms).
    func record(_ key: String, now: Double = Date().timeIntervalSince1970) {
        _ = count(key, adding: 1, now: now)
    }

    private func count(_ key: String, adding hits: Int, now: Double) -> Window {
        windows.withLock { windows in
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
            var entry = windows[key] ?? Window(start: now, count: 0)
            if now - entry.start >= window { entry = Window(start: now, count: 0) }
            entry.count += hits
            windows[key] = entry
            return entry
        }
    }

    private func refuse(_ entry: Window, over threshold: Int, now: Double) throws(APIError) {
        guard entry.count > threshold else { return }
        throw APIError(.tooManyRequests, message, retryAfterSeconds: max(1, Int((entry.start + window - now).rounded(.up))))
    }
}
