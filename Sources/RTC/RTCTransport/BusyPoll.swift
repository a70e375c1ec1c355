import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Keeps an event loop's thread awake for a short window after a message, polling the loop's epoll instance
/// instead of sleeping in it, as Go's scheduler spins before it parks: a reply that comes within the window is read
/// without a wake-up. On a virtual machine each wake-up of a sleeping CPU costs tens of microseconds, more than our
/// whole stack spends on a message.
///
/// The window adapts to the traffic: it grows at once to twice a gap between messages and shrinks by a quarter
/// per message, so a conversation that answers quickly keeps the loop awake between turns (the longest of its
/// alternating gaps included), while one that answers slower than `limit` (or sporadic traffic) halves it each
/// time and soon never spins. Only messages open a window: an idle mesh's keepalives and timers
/// never do.
///
/// While it polls the loop still runs everything else: each poll is one task that yields the CPU (a woken process
/// on it runs first) and queues the next poll behind whatever other tasks arrived; timers fall due as usual; and the
/// first ready descriptor of the loop (a datagram, the agent's IPC socket, NIO's own wake-up) ends the window, so the
/// loop's `epoll_wait` returns at once.
///
/// `@unchecked Sendable`: its fields are touched only on `loop` (drivers call it from there); `on(_:)` (`LoopBound`)
/// hands out the one instance per loop.
final class BusyPoll: LoopBound, @unchecked Sendable {
    private let loop: any EventLoop
    /// The loop's epoll instance, once found; until then, and on loops that have none (NIO's testing loops),
    /// nothing spins.
    private(set) var epollFD: CInt?
    /// How long the next window lasts, learnt from the gaps between messages.
    private(set) var window: TimeAmount = .zero
    private var lastTraffic: NIODeadline = .uptimeNanoseconds(0)
    /// When the current window ends; a window is open while a poll task is queued.
    private(set) var windowEnd: NIODeadline = .uptimeNanoseconds(0)
    private(set) var isPolling = false

    init(loop: any EventLoop) {
        self.loop = loop
        findEpollInstance()
    }

    /// A message went or came: keep the loop awake for the learnt window, never longer than `limit` (zero: never).
    func traffic(limit: TimeAmount) {
        loop.preconditionInEventLoop()
        let now = loop.now
        let gap = now - lastTraffic
        lastTraffic = now
        window = gap <= limit ? min(limit, max(gap * 2, .nanoseconds(window.nanoseconds * 3 / 4))) : .nanoseconds(window.nanoseconds / 2)
        guard epollFD != nil, window > .microseconds(1) else { return }
        windowEnd = max(windowEnd, now + window)
        guard !isPolling else { return }
        isPolling = true
        loop.assumeIsolated().execute { self.poll() }
    }

    private func poll() {
        guard let epollFD else { return }
        sched_yield()
        var ready = pollfd(fd: epollFD, events: Int16(POLLIN), revents: 0)
        if Glibc.poll(&ready, 1, 0) > 0 || loop.now >= windowEnd {
            isPolling = false  // the loop's epoll_wait takes what is ready, or sleeps
            return
        }
        loop.assumeIsolated().execute { self.poll() }
    }

    /// NIO does not expose a loop's epoll descriptor: register a pipe of our own on the loop and find the one epoll
    /// instance of this process that watches it (`/proc/self/fdinfo` lists each instance's descriptors).
    private func findEpollInstance() {
        var ends: [CInt] = [0, 0]
        guard let bootstrap = NIOPipeBootstrap(validatingGroup: loop), pipe(&ends) == 0 else { return }
        // The write end stays open and unwritten, so the read end is never ready (a closed one would read as its
        // end); the channel stays registered as long as the loop lives.
        let (marker, writeEnd) = (ends[0], ends[1])
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        bootstrap.takingOwnershipOfDescriptor(input: marker).whenComplete { result in
            guard case .success = result else {
                close(writeEnd)
                return
            }
            self.epollFD = Self.epollInstance(watching: marker)
        }
    }

    private static func epollInstance(watching marker: CInt) -> CInt? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = CInt(name), link("/proc/self/fd/\(name)") == "anon_inode:[eventpoll]",
                  let info = text("/proc/self/fdinfo/\(name)") else { continue }
            // One line per watched descriptor: "tfd:        7 events:       19 data: ...".
            let watches = info.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 1 && fields[0] == "tfd:" && fields[1] == "\(marker)"
            }
            if watches { return fd }
        }
        return nil
    }

    private static func link(_ path: String) -> String? {
        var target = [UInt8](repeating: 0, count: 64)
        let count = readlink(path, &target, target.count)
        return count > 0 ? String(decoding: target[..<count], as: UTF8.self) : nil
    }

    private static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = read(fd, &chunk, chunk.count), count > 0 { bytes += chunk[..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
