import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import RTCTransport

/// A loop that keeps awake after messages, on a real NIO loop (its epoll instance is what it polls).
@Suite struct BusyPollTests {
    /// A loop of its own per test, so no other test's traffic opens its windows.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var loop: any EventLoop { group.next() }

    /// The loop's busy poll, once it has found the loop's epoll instance.
    func busyPoll() async throws -> BusyPoll {
        let poll = BusyPoll.on(loop)
        for _ in 0..<500 where try await loop.submit({ poll.epollFD }).get() == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        return poll
    }

    /// Opens a window of about `window` (two messages `window / 2` apart, within a limit of a minute).
    func openWindow(_ poll: BusyPoll, _ window: Duration) async throws {
        try await loop.submit { poll.traffic(limit: .seconds(60)) }.get()
        try await Task.sleep(for: window / 2)
        try await loop.submit { poll.traffic(limit: .seconds(60)) }.get()
    }

    /// How many of `samples` readings of the loop thread's scheduler state, `interval` apart, are `state` ("R" running
    /// or runnable, "S" asleep). Read from outside, so the reading itself does not wake the loop.
    func count(_ state: String, of samples: Int, interval: Duration = .milliseconds(5)) async throws -> Int {
        // "/proc/thread-self" names the calling thread: "<pid>/task/<tid>".
        let thread = try await loop.submit { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") }.get()
        try await Task.sleep(for: interval)
        var matching = 0
        for _ in 0..<samples {
            if try threadState(thread) == state { matching += 1 }
            try await Task.sleep(for: interval)
        }
        return matching
    }

    func threadState(_ thread: String) throws -> String {
        let stat = try String(contentsOfFile: "/proc/\(thread)/stat", encoding: .utf8)
        // "tid (comm) S ...": the state follows the command's closing parenthesis.
        return String(stat[stat.index(stat.lastIndex(of: ")")!, offsetBy: 2)])
    }

    @Test func eachLoopFindsItsOwnEpollInstance() async throws {
        let other = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let poll = try await busyPoll()
        let mine = try await loop.submit { poll.epollFD }.get()
        let otherPoll = BusyPoll.on(other.next())
        var theirs: CInt?
        for _ in 0..<500 {
            theirs = try await other.next().submit { otherPoll.epollFD }.get()
            if theirs != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let found = try #require(mine), foundOther = try #require(theirs)
        #expect(found != foundOther)
        for fd in [found, foundOther] {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") == "anon_inode:[eventpoll]")
        }
        try await other.shutdownGracefully()
        try await group.shutdownGracefully()
    }

    @Test func aLoopStaysAwakeThroughItsWindowAndSleepsAfter() async throws {
        let poll = try await busyPoll()
        #expect(try await count("S", of: 10) >= 8, "an idle loop sleeps in epoll_wait")
        try await openWindow(poll, .seconds(1))
        #expect(try await loop.submit { poll.isPolling }.get())
        #expect(try await count("R", of: 10) >= 8, "the loop slept inside its window")
        let end = try await loop.submit { poll.windowEnd }.get()
        while NIODeadline.now() < end + .milliseconds(50) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await loop.submit { poll.isPolling }.get() == false)
        #expect(try await count("S", of: 10) >= 8, "the loop kept running after its window")
        try await group.shutdownGracefully()
    }

    @Test func aReadySocketEndsTheWindowAndIsReadAtOnce() async throws {
        let poll = try await busyPoll()
        let readAt = Mutex<(at: NIODeadline, polling: Bool)?>(nil)
        let server = try await DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.pipeline.addHandler(Recorder { readAt.withLock { $0 = (NIODeadline.now(), poll.isPolling) } })
            }
            .bind(host: "127.0.0.1", port: 0).get()
        try await openWindow(poll, .seconds(4))
        let end = try await loop.submit { poll.windowEnd }.get()
        let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        try await client.writeAndFlush(AddressedEnvelope(remoteAddress: server.localAddress!, data: ByteBuffer(string: "ping")))
        while readAt.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(10)) }
        let read = try #require(readAt.withLock { $0 })
        // Read by the loop's own epoll_wait (the poll task stopped), long before the window would have ended.
        #expect(read.polling == false)
        #expect(read.at < end - .seconds(1))
        try await client.close()
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test func otherTasksRunWhileTheLoopPolls() async throws {
        let poll = try await busyPoll()
        try await openWindow(poll, .seconds(4))
        let end = try await loop.submit { poll.windowEnd }.get()
        for _ in 0..<20 {
            let (ranAt, polling) = try await loop.submit { (NIODeadline.now(), poll.isPolling) }.get()
            #expect(polling && ranAt < end - .seconds(1))
        }
        try await group.shutdownGracefully()
    }

    @Test func trafficSlowerThanTheLimitNeverSpins() async throws {
        let poll = try await busyPoll()
        for _ in 0..<4 {
            try await loop.submit { poll.traffic(limit: .milliseconds(1)) }.get()
            #expect(try await loop.submit { poll.isPolling }.get() == false)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await loop.submit { poll.window }.get() == .zero)
        try await group.shutdownGracefully()
    }
}

/// Calls `read` for each datagram.
private final class Recorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let read: @Sendable () -> Void
    init(_ read: @escaping @Sendable () -> Void) { self.read = read }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { read() }
}
