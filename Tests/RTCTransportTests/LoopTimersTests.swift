import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import RTCTransport

/// The one timer a loop's connections share, on a testing loop's clock.
@Suite struct LoopTimersTests {
    let loop = NIOAsyncTestingEventLoop()

    /// Owners that record, in order, which of them fired and when (milliseconds on the loop's clock).
    final class Owners: Sendable {
        let start: NIODeadline
        let fired = Mutex<[String]>([])
        init(start: NIODeadline) { self.start = start }
        func record(_ name: String, on loop: any EventLoop) {
            let at = (loop.now - start).nanoseconds / 1_000_000
            fired.withLock { $0.append("\(name)@\(at)") }
        }
    }

    /// An owner's identity (kept alive by the test, so its identifier is not reused).
    final class Key: Sendable {}

    func arm(_ timers: LoopTimers, _ owners: Owners, _ name: String, id: ObjectIdentifier, inMilliseconds ms: Int64, then: (@Sendable () -> Void)? = nil) async throws {
        let loop = self.loop
        try await loop.submit {
            timers.arm(id, at: owners.start + .milliseconds(ms)) {
                owners.record(name, on: loop)
                then?()
            }
        }.get()
    }

    @Test func eachOwnerFiresAtItsOwnDeadlineWhateverTheOrderTheyCameIn() async throws {
        let timers = LoopTimers.on(loop), owners = Owners(start: loop.now)
        let (a, b, c, d) = (Key(), Key(), Key(), Key())
        try await arm(timers, owners, "a", id: ObjectIdentifier(a), inMilliseconds: 10)
        try await arm(timers, owners, "b", id: ObjectIdentifier(b), inMilliseconds: 5)
        // a moves later after the loop's task was set for it; c is filed, then cancelled; d comes last.
        try await arm(timers, owners, "a", id: ObjectIdentifier(a), inMilliseconds: 20)
        try await arm(timers, owners, "c", id: ObjectIdentifier(c), inMilliseconds: 7)
        try await loop.submit { timers.cancel(ObjectIdentifier(c)) }.get()
        try await arm(timers, owners, "d", id: ObjectIdentifier(d), inMilliseconds: 15)
        await loop.advanceTime(by: .milliseconds(30))
        #expect(owners.fired.withLock { $0 } == ["b@5", "d@15", "a@20"])
    }

    @Test func anOwnerThatFilesAgainWhenItFiresKeepsTheOthersOnTime() async throws {
        let timers = LoopTimers.on(loop), owners = Owners(start: loop.now)
        let (a, b) = (Key(), Key())
        let rearm = { @Sendable in
            timers.arm(ObjectIdentifier(a), at: owners.start + .milliseconds(30)) { owners.record("a again", on: self.loop) }
        }
        try await arm(timers, owners, "a", id: ObjectIdentifier(a), inMilliseconds: 10, then: rearm)
        try await arm(timers, owners, "b", id: ObjectIdentifier(b), inMilliseconds: 15)
        await loop.advanceTime(by: .milliseconds(40))
        #expect(owners.fired.withLock { $0 } == ["a@10", "b@15", "a again@30"])
    }
}
