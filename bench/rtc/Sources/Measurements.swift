import DTLS
import DataChannel
import Foundation
import NIOCore
import Synchronization

/// What one stack achieved; the harness prints these side by side.
struct StackResult: Codable {
    var stack: String
    var setupMs: Double?
    var rttP50Us: Double?
    var rttP99Us: Double?
    var bulkMBps: Double?
    var messagesPerSecond: Double?
    var cpuSecondsPer100MB: Double?

    enum CodingKeys: String, CodingKey {
        case stack, setupMs = "setup_ms", rttP50Us = "rtt_p50_us", rttP99Us = "rtt_p99_us", bulkMBps = "bulk_mb_per_s"
        case messagesPerSecond = "messages_per_s", cpuSecondsPer100MB = "cpu_s_per_100mb"
    }
}

enum Measurements {
    static func percentile(_ sorted: [Duration], _ p: Double) -> Double {
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))
        return microseconds(sorted[index])
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Median of several fresh connections.
    static func setup(dtls: DTLSContext, busyPollLimit: TimeAmount, runs: Int) async throws -> Double {
        var times: [Duration] = []
        for _ in 0..<runs {
            let pair = try await connectPair(dtls: dtls, busyPollLimit: busyPollLimit)
            times.append(pair.setup)
            await pair.offerer.close()
            await pair.answerer.close()
        }
        return percentile(times.sorted(), 0.5) / 1000
    }

    /// 1 KiB messages echoed by the answerer, one at a time: the offerer sends the next from its loop as the echo
    /// arrives, as an application on the loop would, so no task switch is timed (pion-bench does the same).
    static func roundTrips(offerer: BenchPeer, answerer: BenchPeer, count: Int) async throws -> [Duration] {
        answerer.onMessage { message in answerer.sendOnOpenChannel(message) }
        let payload = DataChannelMessage.binary([UInt8](repeating: 0x5A, count: 1024))
        let total = count + count / 10
        let timing = Mutex((samples: [Duration](), started: ContinuousClock.now))
        let (finished, finishedSink) = AsyncStream<[Duration]>.makeStream()
        offerer.onMessage { _ in
            let arrived = ContinuousClock.now
            let samples = timing.withLock { timing -> [Duration]? in
                timing.samples.append(arrived - timing.started)
                guard timing.samples.count < total else { return timing.samples }
                timing.started = ContinuousClock.now
                return nil
            }
            if let samples {
                finishedSink.yield(samples.dropFirst(count / 10).sorted())  // the first tenth warms up
            } else {
                offerer.sendOnOpenChannel(payload)
            }
        }
        _ = await offerer.openedStream()
        timing.withLock { $0.started = ContinuousClock.now }
        offerer.sendOnOpenChannel(payload)
        var iterator = finished.makeAsyncIterator()
        return await iterator.next() ?? []
    }

    /// Sends `total` bytes in `size`-byte messages as fast as flow control allows; returns the time
    /// until the last byte arrived and the CPU seconds the process spent meanwhile.
    static func stream(offerer: BenchPeer, answerer: BenchPeer, size: Int, total: Int) async throws -> (elapsed: Duration, cpu: Double) {
        let received = Mutex(0)
        let (done, doneSink) = AsyncStream<Void>.makeStream()
        answerer.onMessage { message in
            guard case .binary(let bytes) = message else { return }
            let sum = received.withLock { count in
                count += bytes.count
                return count
            }
            if sum >= total { doneSink.yield() }
        }
        let payload = DataChannelMessage.binary([UInt8](repeating: 0xA5, count: size))
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        var sent = 0
        while sent < total {
            await offerer.sendPaced(payload, limit: 1 << 20)
            sent += size
        }
        var iterator = done.makeAsyncIterator()
        await iterator.next()
        return (ContinuousClock.now - started, cpuSeconds() - cpuBefore)
    }

    /// `busyPollLimit` zero: the loops sleep between messages (`BUSY_POLL_US=0`).
    static func run(megabytes: Int, roundTrips count: Int, messages: Int, busyPollLimit: TimeAmount) async throws -> StackResult {
        let dtls = try DTLSContext()
        var result = StackResult(stack: busyPollLimit == .zero ? "chatixia, loops sleeping between messages (BUSY_POLL_US=0)" : "chatixia (Swift, this repo)")
        let watchdog = Watchdog(limit: .seconds(120))
        watchdog.enter("setup")
        result.setupMs = try await setup(dtls: dtls, busyPollLimit: busyPollLimit, runs: 7)

        let pair = try await connectPair(dtls: dtls, busyPollLimit: busyPollLimit)
        let state: @Sendable () -> String = { "buffered \(pair.offerer.driver.bufferedAmount) B at the offerer, \(pair.answerer.driver.bufferedAmount) B at the answerer" }
        watchdog.enter("round trips", state: state)
        let samples = try await roundTrips(offerer: pair.offerer, answerer: pair.answerer, count: count)
        result.rttP50Us = percentile(samples, 0.5)
        result.rttP99Us = percentile(samples, 0.99)

        let bulkBytes = megabytes << 20
        watchdog.enter("bulk", state: state)
        let bulk = try await stream(offerer: pair.offerer, answerer: pair.answerer, size: 64 << 10, total: bulkBytes)
        let seconds = microseconds(bulk.elapsed) / 1e6
        result.bulkMBps = Double(bulkBytes) / 1e6 / seconds
        result.cpuSecondsPer100MB = bulk.cpu / (Double(bulkBytes) / 1e8)

        watchdog.enter("1000 B messages", state: state)
        let small = try await stream(offerer: pair.offerer, answerer: pair.answerer, size: 1000, total: 1000 * messages)
        result.messagesPerSecond = Double(messages) / (microseconds(small.elapsed) / 1e6)
        await pair.offerer.close()
        await pair.answerer.close()
        return result
    }
}
