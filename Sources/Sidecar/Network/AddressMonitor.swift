import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Tells when the machine's addresses change, from the kernel's own notifications: an rtnetlink socket subscribed
/// to address events, read when it has something (no polling). Linux only; elsewhere there is none and the
/// addresses found at start are kept.
final class AddressMonitor {
    private let source: any DispatchSourceRead

    private init(source: any DispatchSourceRead) {
        self.source = source
    }

    deinit {
        source.cancel()
    }

    /// Calls `onChange` after each batch of address events (an address added or removed, IPv4 or IPv6); nil when
    /// the kernel offers no such notifications.
    static func start(onChange: @escaping @Sendable () -> Void) -> AddressMonitor? {
        #if os(Linux)
        let netlinkRoute: Int32 = 0  // NETLINK_ROUTE
        let groups: UInt32 = 0x10 | 0x100  // RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
        let descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkRoute)
        guard descriptor >= 0 else { return nil }
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
        var address = [UInt8](repeating: 0, count: 12)
        address.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
            bytes.storeBytes(of: groups, toByteOffset: 8, as: UInt32.self)
        }
        let bound = address.withUnsafeBytes { bytes in
            bind(descriptor, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
        }
        guard bound == 0 else {
            close(descriptor)
            return nil
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "chatixia.address-monitor"))
        source.setEventHandler {
            // What the messages say is not needed: the caller reads the addresses as they are now.
            var buffer = [UInt8](repeating: 0, count: 8192)
            while buffer.withUnsafeMutableBytes({ recv(descriptor, $0.baseAddress, $0.count, 0) }) > 0 {}
            onChange()
        }
        source.setCancelHandler { close(descriptor) }
        source.resume()
        return AddressMonitor(source: source)
        #else
        return nil
        #endif
    }
}
