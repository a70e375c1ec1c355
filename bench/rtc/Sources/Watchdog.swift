import Foundation
import Synchronization

/// Ends the process, saying which phase and what state it was in, when a phase outlasts `limit`: a stalled run (seen
/// once in bench/rtc, not reproduced since) then tells where it stopped instead of hanging the benchmark.
final class Watchdog: Sendable {
    private let phase = Mutex<(name: String, started: ContinuousClock.Instant, state: @Sendable () -> String)>(("start", .now, { "" }))

    init(limit: Duration) {
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 1)
                let (name, started, state) = self.phase.withLock { $0 }
                if ContinuousClock.now - started > limit {
                    FileHandle.standardError.write(Data("rtc-bench: stalled in \(name) for over \(limit): \(state())\n".utf8))
                    exit(1)
                }
            }
        }
    }

    func enter(_ name: String, state: @escaping @Sendable () -> String = { "" }) {
        phase.withLock { $0 = (name, .now, state) }
    }
}
