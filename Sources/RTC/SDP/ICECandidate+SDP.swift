extension ICECandidate {
    /// Why a candidate string does not parse.
    public enum ParseError: Error, Sendable, Hashable {
        /// Nothing but a prefix or blanks. In trickle ICE an empty `candidate` means the end of
        /// candidates: check for that before parsing.
        case empty
        /// Fewer than the eight fields up to `typ <type>`.
        case missingFields(count: Int)
        /// Not 1 to 32 of the characters RFC 8839 allows (letters, digits, `+` and `/`).
        case badFoundation(String)
        case badComponent(String)
        case badTransport(String)
        case badPriority(String)
        case badPort(String)
        /// The seventh field is not the keyword `typ`.
        case missingTypeKeyword(String)
        case badType(String)
        case badRelatedPort(String)
        case badTCPType(String)
        case badGeneration(String)
        /// An extension name with no value after it.
        case danglingExtension(String)
    }

    /// Parses a candidate from `a=candidate:...`, `candidate:...` (the trickle JSON form) or the
    /// bare attribute value. Transport and type keywords are matched without regard to case, as
    /// RFC 8839 says for transport and some stacks send `UDP`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        var value = Substring(text)
        value = SDPText.dropPrefix("a=", from: value) ?? value
        value = SDPText.dropPrefix("candidate:", from: value) ?? value
        let fields = SDPText.fields(value)
        guard !fields.isEmpty else { throw .empty }
        guard fields.count >= 8 else { throw .missingFields(count: fields.count) }

        // The grammar matters beyond pedantry: a foundation such as `candidate:1` would lose its
        // prefix when the written candidate is read back.
        guard (1...32).contains(fields[0].utf8.count), fields[0].utf8.allSatisfy(Self.isICEChar) else {
            throw .badFoundation(String(fields[0]))
        }
        guard let component = SDPText.decimal(fields[1], as: Int.self), (1...256).contains(component) else {
            throw .badComponent(String(fields[1]))
        }
        guard let transport = TransportProtocol(rawValue: fields[2].lowercased()) else { throw .badTransport(String(fields[2])) }
        guard let priority = SDPText.decimal(fields[3], as: UInt32.self) else { throw .badPriority(String(fields[3])) }
        guard let port = SDPText.decimal(fields[5], as: UInt16.self) else { throw .badPort(String(fields[5])) }
        guard fields[6] == "typ" else { throw .missingTypeKeyword(String(fields[6])) }
        guard let type = CandidateType(rawValue: fields[7].lowercased()) else { throw .badType(String(fields[7])) }

        self.init(foundation: String(fields[0]), component: component, transport: transport, priority: priority,
                  address: String(fields[4]), port: port, type: type)

        var index = 8
        while index < fields.count {
            let name = fields[index]
            guard index + 1 < fields.count else { throw .danglingExtension(String(name)) }
            let extensionValue = fields[index + 1]
            switch name {
            case "raddr":
                relatedAddress = String(extensionValue)
            case "rport":
                guard let port = SDPText.decimal(extensionValue, as: UInt16.self) else {
                    throw .badRelatedPort(String(extensionValue))
                }
                relatedPort = port
            case "tcptype":
                guard let tcpType = TCPType(rawValue: extensionValue.lowercased()) else {
                    throw .badTCPType(String(extensionValue))
                }
                self.tcpType = tcpType
            case "generation":
                guard let generation = SDPText.decimal(extensionValue, as: UInt32.self) else {
                    throw .badGeneration(String(extensionValue))
                }
                self.generation = generation
            default:
                extensions.append(Extension(name: String(name), value: String(extensionValue)))
            }
            index += 2
        }
    }

    /// The attribute value, without `candidate:`: named fields in RFC order (raddr, rport,
    /// tcptype, generation), then the other extensions in their order.
    public var sdpValue: String {
        var fields = [foundation, String(component), transport.rawValue, String(priority), address, String(port),
                      "typ", type.rawValue]
        if let relatedAddress { fields += ["raddr", relatedAddress] }
        if let relatedPort { fields += ["rport", String(relatedPort)] }
        if let tcpType { fields += ["tcptype", tcpType.rawValue] }
        if let generation { fields += ["generation", String(generation)] }
        for item in extensions { fields += [item.name, item.value] }
        return fields.joined(separator: " ")
    }

    /// `candidate:...`: what follows `a=` in SDP and what the trickle JSON `candidate` field holds.
    public var candidateAttribute: String {
        "candidate:" + sdpValue
    }

    /// RFC 8839's ice-char: ALPHA, DIGIT, `+` or `/`.
    private static func isICEChar(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }
}
