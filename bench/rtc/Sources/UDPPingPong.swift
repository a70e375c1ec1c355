import Foundation

/// The floor: 1 KiB ping-pong between two blocking UDP sockets on loopback, one echo thread.
enum UDPPingPong {
    static func run(count: Int) throws -> StackResult {
        let echo = try boundSocket()
        let client = try boundSocket()
        var echoAddress = try localAddress(echo)
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            while true {
                let n = withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(echo, &buffer, buffer.count, 0, $0, &length) }
                }
                if n <= 0 { return }
                _ = withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(echo, buffer, n, 0, $0, length) }
                }
            }
        }
        thread.start()
        let payload = [UInt8](repeating: 0x5A, count: 1024)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var samples: [Duration] = []
        for index in 0..<(count + count / 10) {
            let started = ContinuousClock.now
            _ = withUnsafePointer(to: &echoAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(client, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            _ = recv(client, &buffer, buffer.count, 0)
            if index >= count / 10 { samples.append(ContinuousClock.now - started) }
        }
        shutdown(echo, Int32(SHUT_RDWR))
        close(client)
        samples.sort()
        return StackResult(stack: "raw UDP (floor)", rttP50Us: Measurements.percentile(samples, 0.5), rttP99Us: Measurements.percentile(samples, 0.99))
    }

    /// A UDP socket on 127.0.0.1 (`port` 0: an ephemeral one).
    static func boundSocket(port: UInt16 = 0) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        return fd
    }

    static func localAddress(_ fd: Int32) throws -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return address
    }
}
