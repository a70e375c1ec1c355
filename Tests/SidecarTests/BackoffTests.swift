import RTCTestSupport
import Testing

@testable import Sidecar

@Suite struct BackoffTests {
    @Test func waitsGrowWithJitterUpToTheCapAndStartOverAfterReset() {
        var generator = SplitMix64(seed: 42)
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
        var ceiling = Duration.milliseconds(500)
        for _ in 0..<12 {
            let wait = backoff.next(using: &generator)
            #expect(wait >= ceiling / 2 && wait <= ceiling)
            ceiling = min(ceiling * 2, .seconds(30))
        }
        #expect(backoff.next(using: &generator) >= .seconds(15))
        backoff.reset()
        #expect(backoff.next(using: &generator) <= .milliseconds(500))
    }

    @Test func jitterSpreadsSidecarsApart() {
        var generator = SplitMix64(seed: 7)
        let waits = Set((0..<20).map { _ in
            var backoff = Backoff()
            return backoff.next(using: &generator)
        })
        #expect(waits.count > 15)
    }
}
