import Foundation
import Synchronization

/// The bulk ceiling: one thread blasts 1200-byte datagrams (a typical DTLS record over UDP) at a socket on
/// loopback as fast as `send` returns while another thread reads them; what arrives per second counts.
enum UDPBlast {
    static let datagramSize = 1200

    static func run(megabytes: Int) throws -> Double {
        let receiver = try UDPPingPong.boundSocket()
        let sender = try UDPPingPong.boundSocket()
        var bufferSize: Int32 = 4 << 20
        setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = try UDPPingPong.localAddress(receiver)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sender, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let total = megabytes << 20
        // (bytes received, time of the first and of the last datagram), written by the reader only.
        let received = Mutex<(bytes: Int, first: ContinuousClock.Instant?, last: ContinuousClock.Instant?)>((0, nil, nil))
        let done = DispatchSemaphore(value: 0)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var bytes = 0
            var first: ContinuousClock.Instant?, last: ContinuousClock.Instant?
            // Until all of it arrived, or nothing came for the receive timeout (the rest was dropped).
            while bytes < total {
                let n = recv(receiver, &buffer, buffer.count, 0)
                guard n > 0 else { break }
                last = .now
                if first == nil { first = last }
                bytes += n
            }
            received.withLock { $0 = (bytes, first, last) }
            done.signal()
        }
        reader.start()
        let datagram = [UInt8](repeating: 0xA5, count: datagramSize)
        for _ in 0..<(total / datagramSize + 1) { _ = send(sender, datagram, datagram.count, 0) }
        done.wait()
        close(sender)
        close(receiver)
        let (bytes, first, last) = received.withLock { $0 }
        guard let first, let last, last > first else { return 0 }
        return Double(bytes) / 1e6 / (Measurements.microseconds(last - first) / 1e6)
    }
}
