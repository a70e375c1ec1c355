/// An IP address and port: what STUN's address attributes carry and what a UDP socket names.
public struct TransportAddress: Sendable, Hashable {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }
}

extension TransportAddress: LosslessStringConvertible {
    /// Parses `192.0.2.1:3478` or `[2001:db8::1]:3478`.
    public init?(_ text: String) {
        let portSeparator = text.lastIndex(of: ":")
        guard let portSeparator else { return nil }
        let host = text[..<portSeparator], portText = text[text.index(after: portSeparator)...]
        guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = UInt16(portText)
        else { return nil }
        let ip: IPAddress?
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 {
            ip = IPAddress(String(host.dropFirst().dropLast())).flatMap { $0.isIPv6 ? $0 : nil }
        } else {
            ip = IPAddress(String(host)).flatMap { $0.isIPv4 ? $0 : nil }
        }
        guard let ip else { return nil }
        self.init(ip: ip, port: port)
    }

    public var description: String {
        switch ip {
        case .v4: "\(ip):\(port)"
        case .v6: "[\(ip)]:\(port)"
        }
    }
}
