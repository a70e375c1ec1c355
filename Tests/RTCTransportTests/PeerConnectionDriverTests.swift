import DataChannel
import Foundation
import NIOCore
import PeerConnection
@testable import RTCTransport
import RTCTestSupport
import SDP
import Synchronization
import Testing

/// Two drivers on 127.0.0.1 with real sockets: one hands its events to a task, the other handles them
/// on its event loop and answers from there.
@Suite struct PeerConnectionDriverTests {
    /// Connects `offerer` to `answerer` with in-process signaling; returns when both channels are open.
    func connect(_ offerer: PeerConnectionDriver, _ answerer: PeerConnectionDriver) async throws {
        _ = try await offerer.bind(host: "127.0.0.1")
        _ = try await answerer.bind(host: "127.0.0.1")
        let offer = try await offerer.withConnection { connection, now in
            connection.createDataChannel(label: "test")
            return connection.createOffer(now: now).serialized()
        }
        let answer = try await answerer.withConnection { connection, now in
            try connection.setRemoteDescription(try SessionDescription(parsing: offer), now: now)
            return try connection.createAnswer().serialized()
        }
        try await offerer.withConnection { connection, now in
            try connection.setRemoteDescription(try SessionDescription(parsing: answer), now: now)
        }
    }

    @Test func aHandlerOnTheLoopEchoesInOrderAndSeesEveryEventOnTheLoop() async throws {
        let dtls = try DTLSContext()
        let offLoop = Mutex(0)
        let answererLoop = Mutex<PeerConnectionDriver?>(nil)
        let answerer = PeerConnectionDriver(configuration: .init(dtls: dtls), events: .onLoop { batch in
            guard let driver = answererLoop.withLock({ $0 }) else { return }
            if !driver.loop.inEventLoop { offLoop.withLock { $0 += 1 } }
            for case .message(let stream, let message) in batch {
                guard message == .text("go") else {
                    driver.enqueue(message, on: stream)
                    continue
                }
                // A send queued by another thread just before one from the loop goes out first.
                let queued = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    driver.enqueue(.text("from another thread"), on: stream)
                    queued.signal()
                }
                queued.wait()
                driver.enqueue(.text("from the loop"), on: stream)
            }
        })
        answererLoop.withLock { $0 = answerer }
        let offerer = PeerConnectionDriver(configuration: .init(dtls: dtls))
        try await connect(offerer, answerer)

        var events = offerer.events.makeAsyncIterator()
        var stream: UInt16?
        while stream == nil, let batch = await events.next() {
            for case .channelOpened(let opened, _) in batch { stream = opened }
        }
        let open = try #require(stream)
        // Sent from this task, partly while earlier echoes are being sent from the answerer's loop.
        let count = 100
        for index in 0..<count { offerer.enqueue(.text("message \(index)"), on: open) }
        offerer.enqueue(.text("go"), on: open)
        var echoed: [String] = []
        while echoed.count < count + 2, let batch = await events.next() {
            for case .message(_, .text(let text)) in batch { echoed.append(text) }
        }
        #expect(echoed == (0..<count).map { "message \($0)" } + ["from another thread", "from the loop"])
        #expect(offLoop.withLock { $0 } == 0)
        // An `.onLoop` driver's stream carries nothing.
        var none = answerer.events.makeAsyncIterator()
        #expect(await none.next() == nil)
        await offerer.close()
        await answerer.close()
    }
}

extension PeerConnectionDriverTests {
    /// A window's burst leaves as runs of datagrams the kernel segments (UDP GSO) and arrives coalesced (GRO) where
    /// Linux has them; every byte arrives, in order.
    @Test(.timeLimit(.minutes(1))) func burstsTravelAsSegmentedRunsAndArriveWhole() async throws {
        let dtls = try DTLSContext()
        let offerer = PeerConnectionDriver(configuration: .init(dtls: dtls))
        let answerer = PeerConnectionDriver(configuration: .init(dtls: dtls))
        try await connect(offerer, answerer)
        var offererEvents = offerer.events.makeAsyncIterator()
        var answererEvents = answerer.events.makeAsyncIterator()
        var stream: UInt16?
        while stream == nil, let batch = await offererEvents.next() {
            for case .channelOpened(let opened, _) in batch { stream = opened }
        }
        let open = try #require(stream)
        let messages = (0..<64).map { index in (0..<(64 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) } }
        for message in messages { offerer.enqueue(.binary(message), on: open) }
        var received: [[UInt8]] = []
        while received.count < messages.count, let batch = await answererEvents.next() {
            for case .message(_, .binary(let bytes)) in batch { received.append(bytes) }
        }
        #expect(received == messages)
        // No segmented write failed (which would have turned segmentation off).
        #expect(try await offerer.loop.submit { offerer.segmentationOffload }.get() == System.supportsUDPSegmentationOffload)
        await offerer.close()
        await answerer.close()
    }
}

@Suite struct TimerCoalescingTests {
    @Test func farTimersFireOnTheGridAndNearOnesOnTime() {
        let now = NIODeadline.uptimeNanoseconds(10_000_000_123)
        let grid = UInt64(PeerConnectionDriver.coalescingGrid.nanoseconds)
        // Near: untouched, whatever the grid.
        let near = now + .milliseconds(120)
        #expect(PeerConnectionDriver.coalesced(near, now: now) == near)
        // Far: the next grid line, never earlier, never more than one grid later.
        for offset in [500, 777, 1_000, 2_001, 29_999] {
            let due = now + .milliseconds(Int64(offset))
            let fires = PeerConnectionDriver.coalesced(due, now: now)
            #expect(fires >= due)
            #expect(fires.uptimeNanoseconds - due.uptimeNanoseconds < grid)
            #expect(fires.uptimeNanoseconds % grid == 0)
        }
        // Two connections due at different moments within one grid slot wake the loop once.
        #expect(PeerConnectionDriver.coalesced(now + .milliseconds(2_010), now: now) == PeerConnectionDriver.coalesced(now + .milliseconds(2_100), now: now))
    }
}
