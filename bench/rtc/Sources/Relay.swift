import Foundation
import RTCTransport

/// A sidecar that does no work, for bench/sidecar's floor: the bytes its agent writes to its Unix socket go to the
/// other relay as UDP datagrams, and what comes back goes to the agent. Like our event loops it polls, instead of
/// sleeping, for `PeerConnectionDriver.defaultBusyPollLimit` after each forward. Two of them between the agents
/// cost the agents' own work and four process hops: what any sidecar costs at the least on this machine.
enum Relay {
    static func run(socketPath: String, port: UInt16, peerPort: UInt16) throws -> Never {
        let udp = try UDPPingPong.boundSocket(port: port)
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_addr.s_addr = inet_addr("127.0.0.1")
        peer.sin_port = peerPort.bigEndian
        let agent = try acceptOne(at: socketPath)
        let spin = Duration.nanoseconds(PeerConnectionDriver.defaultBusyPollLimit.nanoseconds)
        var spinUntil = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var ready = [pollfd(fd: agent, events: Int16(POLLIN), revents: 0), pollfd(fd: udp, events: Int16(POLLIN), revents: 0)]
        while true {
            let spinning = ContinuousClock.now < spinUntil
            if spinning { sched_yield() }
            guard poll(&ready, 2, spinning ? 0 : -1) >= 0 else { continue }
            if ready[0].revents != 0 {
                // At most one datagram's worth per read; loopback keeps the order and loses nothing at this pace.
                let count = read(agent, &buffer, 65_000)
                guard count > 0 else { exit(0) }
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, buffer, count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                spinUntil = ContinuousClock.now + spin
            }
            if ready[1].revents != 0 {
                let count = recv(udp, &buffer, buffer.count, 0)
                var written = 0
                while written < count {
                    let sent = buffer.withUnsafeBytes { write(agent, $0.baseAddress! + written, count - written) }
                    guard sent > 0 else { exit(0) }
                    written += sent
                }
                spinUntil = ContinuousClock.now + spin
            }
        }
    }

    /// Listens on a Unix socket at `path` and returns the first connection.
    static func acceptOne(at path: String) throws -> Int32 {
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { target in
            for (index, byte) in path.utf8.prefix(target.count - 1).enumerated() { target[index] = byte }
        }
        unlink(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard listener >= 0, bound == 0, listen(listener, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw POSIXError(.ECONNABORTED) }
        close(listener)
        return connection
    }
}
