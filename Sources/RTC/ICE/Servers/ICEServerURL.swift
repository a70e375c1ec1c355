import STUN

/// A `stun:`, `turn:` or `turns:` URI (RFC 7064, RFC 7065) as far as this stack uses it: STUN over UDP,
/// TURN over UDP, TCP (`?transport=tcp`) or TLS over TCP (`turns:`), to a literal IP address. Host names
/// are parsed but have no ``address``; resolving them is the shell's business.
public struct ICEServerURL: Sendable, Hashable {
    public enum Scheme: String, Sendable, Hashable {
        case stun, turn, turns
    }

    /// How we reach the server. The relayed address a TURN server hands out is UDP whichever it is.
    public enum Transport: String, Sendable, Hashable {
        case udp, tcp, tls
    }

    public var scheme: Scheme
    /// The host as written, without IPv6 brackets.
    public var host: String
    public var port: UInt16
    public var transport: Transport

    public static let defaultPort: UInt16 = 3478
    public static let defaultTLSPort: UInt16 = 5349

    public enum ParseError: Error, Sendable, Hashable {
        /// Not `stun:`, `turn:` or `turns:`; `stuns:` is not supported.
        case unsupportedScheme(String)
        case missingHost
        case badPort(String)
        /// A query but `transport=udp` or `transport=tcp` on `turn:`, or `transport=tcp` on `turns:`;
        /// any query on `stun:`.
        case unsupportedTransport(String)
    }

    public init(parsing text: String) throws(ParseError) {
        guard let colon = text.firstIndex(of: ":") else { throw .unsupportedScheme(text) }
        let schemeText = text[..<colon].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else { throw .unsupportedScheme(schemeText) }
        var rest = text[text.index(after: colon)...]
        var transport: Transport = scheme == .turns ? .tls : .udp
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            switch (scheme, query.lowercased()) {
            case (.turn, "transport=udp"): transport = .udp
            case (.turn, "transport=tcp"): transport = .tcp
            case (.turns, "transport=tcp"): transport = .tls
            default: throw .unsupportedTransport(String(query))
            }
            rest = rest[..<question]
        }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .missingHost }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badPort(String(after)) }
                portText = after.dropFirst()
            }
        } else if let portColon = rest.lastIndex(of: ":") {
            host = rest[..<portColon]
            portText = rest[rest.index(after: portColon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw .missingHost }
        var port = scheme == .turns ? Self.defaultTLSPort : Self.defaultPort
        if let portText {
            guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt16(portText), value != 0 else {
                throw .badPort(String(portText))
            }
            port = value
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.transport = transport
    }

    /// The server's address when the host is a literal IP address; nil for a name.
    public var address: TransportAddress? {
        IPAddress(host).map { TransportAddress(ip: $0, port: port) }
    }
}
