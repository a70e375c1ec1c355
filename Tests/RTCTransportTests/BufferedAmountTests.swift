import Testing

@testable import RTCTransport

/// When `.bufferedAmountLow` is due, step by step as the loop and a sender on another thread interleave.
@Suite struct BufferedAmountTests {
    @Test func lowWaterFollowsTheAmountTheLoopSees() {
        let buffered = BufferedAmount(lowThreshold: 100)
        #expect(!buffered.published(connectionBytes: 50), "never above: nobody waits")
        #expect(!buffered.published(connectionBytes: 300))
        #expect(buffered.total == 300)
        #expect(!buffered.published(connectionBytes: 150))
        #expect(buffered.published(connectionBytes: 100), "down to the threshold from above")
        #expect(!buffered.published(connectionBytes: 40), "once")
    }

    /// The race behind a stalled benchmark run: the loop drains the outbox right after a sender counted its message
    /// into it, the sender then reads the total above the threshold and waits, and the connection takes the whole
    /// message at once, so the loop itself never sees the amount high.
    @Test func aSenderThatSawTheAmountHighIsToldOfLowWaterEvenIfTheLoopNeverSawIt() {
        let buffered = BufferedAmount(lowThreshold: 100)
        buffered.queued(150)
        #expect(buffered.total > 100, "the sender sees it high and waits")
        buffered.taken(150)
        #expect(buffered.published(connectionBytes: 0))
        #expect(!buffered.published(connectionBytes: 0), "once")
    }

    @Test func aSenderWhoseCountStaysBelowTheThresholdOwesNoLowWater() {
        let buffered = BufferedAmount(lowThreshold: 100)
        buffered.queued(60)
        buffered.taken(60)
        #expect(!buffered.published(connectionBytes: 60))
    }

    @Test func lowWaterASenderIsOwedWaitsUntilTheAmountIsDown() {
        let buffered = BufferedAmount(lowThreshold: 100)
        _ = buffered.published(connectionBytes: 80)
        buffered.queued(50)
        buffered.taken(50)
        #expect(!buffered.published(connectionBytes: 130), "still above: not yet")
        #expect(buffered.published(connectionBytes: 20))
    }
}
