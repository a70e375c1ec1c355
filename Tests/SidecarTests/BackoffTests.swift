import Testing

@testable import Sidecar

@Suite struct BackoffTests {
    @Test func waitsGrowWithJitterUpToTheCapAndStartOverAfterReset() {
        var generator = FixedSeed(state: 42)
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
        var generator = FixedSeed(state: 7)
        let waits = Set((0..<20).map { _ in
            var backoff = Backoff()
            return backoff.next(using: &generator)
        })
        #expect(waits.count > 15)
    }
}

/// SplitMix64, so jitter is reproducible in tests.
struct FixedSeed: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
