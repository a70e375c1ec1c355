import Foundation
import Synchronization

/// A fixed-window counter per key (a client address or a credential): at most `limit` hits per `window` seconds.
/// Among replicas the limit is mesh-wide: each replica reports the hits it counted every fraction of a second
/// (`takeUnreported`, `ReplicaSignal.hits`) and adds the others' (`absorb`) to its own, so a cluster of N
/// allows the limit, not N times it, give or take what arrives within one report interval.
final class RateLimiter: Sendable {
    private struct Window {
        var start: Double
        var count: Int

        /// The window as of `now`: a new, empty one once it has run out.
        func current(_ now: Double, length: Double) -> Window {
            now - start >= length ? Window(start: now, count: 0) : self
        }
    }

    private struct Counts {
        var here: [String: Window] = [:]
        /// Hits other replicas reported, per key, in a window of their own.
        var elsewhere: [String: Window] = [:]
        /// Hits counted here since the last report, while reporting.
        var unreported: [String: Int] = [:]
        var reporting = false
    }

    /// Tells replicas which limiter a report is for.
    let name: String
    let limit: Int
    let window: Double
    let message: String
    private let counts = Mutex(Counts())

    init(_ name: String, limit: Int, window: Double, message: String = "too many requests, try again later") {
        self.name = name
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

    /// The hits counted here since the last call, to report to the other replicas; from the first call on,
    /// hits are kept for reporting.
    func takeUnreported() -> [String: Int] {
        counts.withLock { counts in
            counts.reporting = true
            defer { counts.unreported.removeAll(keepingCapacity: true) }
            return counts.unreported
        }
    }

    /// Adds hits another replica reported.
    func absorb(_ hits: [String: Int], now: Double = Date().timeIntervalSince1970) {
        counts.withLock { counts in
            for (key, added) in hits {
                var entry = (counts.elsewhere[key] ?? Window(start: now, count: 0)).current(now, length: window)
                entry.count += added
                counts.elsewhere[key] = entry
            }
            if counts.elsewhere.count > 10_000 { counts.elsewhere = counts.elsewhere.filter { now - $0.value.start < window } }
        }
    }

    /// The key's window here after adding `hits`, its count including the hits of other replicas.
    private func count(_ key: String, adding hits: Int, now: Double) -> Window {
        counts.withLock { counts in
            if counts.here.count > 10_000 { counts.here = counts.here.filter { now - $0.value.start < window } }
            var entry = (counts.here[key] ?? Window(start: now, count: 0)).current(now, length: window)
            entry.count += hits
            counts.here[key] = entry
            if counts.reporting, hits > 0 { counts.unreported[key, default: 0] += hits }
            guard let elsewhere = counts.elsewhere[key], now - elsewhere.start < window else { return entry }
            return Window(start: min(entry.start, elsewhere.start), count: entry.count + elsewhere.count)
        }
    }

    private func refuse(_ entry: Window, over threshold: Int, now: Double) throws(APIError) {
        guard entry.count > threshold else { return }
        throw APIError(.tooManyRequests, message, retryAfterSeconds: max(1, Int((entry.start + window - now).rounded(.up))))
    }
}
