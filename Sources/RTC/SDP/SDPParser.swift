/// Reads lines one at a time into a session and its m-sections.
struct SDPParser {
    private var sawVersion = false
    private var session = SessionDescription(origin: SDPOrigin(sessionID: 0, sessionVersion: 0))
    private var sawOrigin = false
    private var media: [MediaDescription] = []

    mutating func consume(_ line: Substring, number: Int) throws(SDPParseError) {
        let utf8 = line.utf8
        guard utf8.count >= 2, let letter = utf8.first, (0x61...0x7A).contains(letter) || (0x41...0x5A).contains(letter),
              utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "=")
        else { throw .malformedLine(line: number, text: String(line)) }
        let type = Character(Unicode.Scalar(letter))
        // Cut by bytes, not Characters: a combining mark after `=` would otherwise join it.
        let value = line[utf8.index(utf8.startIndex, offsetBy: 2)...]

        guard sawVersion else {
            guard type == "v" else { throw .missingVersion }
            guard SDPText.trimmed(value) == "0" else { throw .unsupportedVersion(line: number, version: String(value)) }
            sawVersion = true
            return
        }
        if type == "v" { throw .malformedLine(line: number, text: String(line)) }
        if type == "m" {
            media.append(try Self.mediaLine(value, number: number))
        } else if media.isEmpty {
            try consumeSessionLine(type: type, value: value, number: number)
        } else {
            try Self.consumeMediaLine(type: type, value: value, number: number, into: &media[media.count - 1])
        }
    }

    func finish() throws(SDPParseError) -> SessionDescription {
        guard sawVersion else { throw .empty }
        guard sawOrigin else { throw .missingOrigin }
        guard !media.isEmpty else { throw .missingMediaSection }
        // Other lines in the slots serialized() writes them to, so that a description whose lines
        // came out of RFC 8866 order reads back the same after writing; within a slot, as received.
        var result = session
        result.otherLines = Self.inSlotOrder(session.otherLines, slot: \.sessionSlot)
        result.media = media.map { section in
            var section = section
            section.otherLines = Self.inSlotOrder(section.otherLines, slot: \.mediaSlot)
            return section
        }
        return result
    }

    private static func inSlotOrder(_ lines: [SDPLine], slot: (SDPLine) -> Int) -> [SDPLine] {
        (0...3).flatMap { index in lines.filter { slot($0) == index } }
    }

    private mutating func consumeSessionLine(type: Character, value: Substring, number: Int) throws(SDPParseError) {
        switch type {
        case "o":
            guard let origin = SDPOrigin(parsing: value) else { throw .malformedOrigin(line: number, text: String(value)) }
            session.origin = origin
            sawOrigin = true
        case "s":
            session.sessionName = String(value)
        case "t":
            session.timing = String(value)
        case "c":
            guard let connection = SDPConnection(parsing: value) else {
                throw .malformedConnection(line: number, text: String(value))
            }
            session.connection = connection
        case "a":
            let attribute = SDPAttribute(parsing: value)
            if try Self.applyTransportAttribute(attribute, number: number, to: &session) { return }
            switch attribute.name {
            case "group":
                guard let group = SDPGroup(parsing: Substring(attribute.value ?? "")) else {
                    throw .missingValue(line: number, attribute: attribute.name)
                }
                session.groups.append(group)
            case "extmap-allow-mixed":
                session.extmapAllowMixed = true
            case "msid-semantic":
                session.msidSemantic = String(SDPText.trimmed(Substring(attribute.value ?? "")))
            case "ice-lite":
                session.iceLite = true
            default:
                session.otherAttributes.append(attribute)
            }
        default:
            session.otherLines.append(SDPLine(type: type, value: String(value)))
        }
    }

    private static func consumeMediaLine(type: Character, value: Substring, number: Int,
                                  into media: inout MediaDescription) throws(SDPParseError)
    {
        switch type {
        case "c":
            guard let connection = SDPConnection(parsing: value) else {
                throw .malformedConnection(line: number, text: String(value))
            }
            media.connection = connection
        case "a":
            let attribute = SDPAttribute(parsing: value)
            if try Self.applyTransportAttribute(attribute, number: number, to: &media) { return }
            switch attribute.name {
            case "mid":
                guard media.mid == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
                media.mid = try Self.requiredValue(attribute, number: number)
            case "sctp-port":
                guard media.sctpPort == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
                media.sctpPort = try Self.number(attribute, number: number, as: UInt16.self)
            case "max-message-size":
                guard media.maxMessageSize == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
                media.maxMessageSize = try Self.number(attribute, number: number, as: UInt64.self)
            case "candidate":
                do {
                    media.candidates.append(try ICECandidate(parsing: attribute.value ?? ""))
                } catch {
                    throw .badCandidate(line: number, error)
                }
            default:
                media.otherAttributes.append(attribute)
            }
        default:
            media.otherLines.append(SDPLine(type: type, value: String(value)))
        }
    }

    /// `m=<media> <port>[/<count>] <proto> <fmt> ...`.
    private static func mediaLine(_ value: Substring, number: Int) throws(SDPParseError) -> MediaDescription {
        let fields = SDPText.fields(value)
        guard fields.count >= 3 else { throw .malformedMediaLine(line: number, text: String(value)) }
        let portField = SDPText.split(fields[1], at: "/", maxSplits: 1)
        guard let port = SDPText.decimal(portField[0], as: UInt16.self) else {
            throw .badPort(line: number, text: String(fields[1]))
        }
        var portCount: Int?
        if portField.count == 2 {
            guard let count = SDPText.decimal(portField[1], as: Int.self) else {
                throw .badPort(line: number, text: String(fields[1]))
            }
            portCount = count
        }
        return MediaDescription(kind: String(fields[0]), port: port, portCount: portCount, proto: String(fields[2]),
                                formats: fields.dropFirst(3).map(String.init))
    }

    /// Handles an attribute allowed at both levels; `false` if `attribute` is not one of them.
    private static func applyTransportAttribute(_ attribute: SDPAttribute, number: Int,
                                                to target: inout some SDPTransportAttributes) throws(SDPParseError) -> Bool
    {
        switch attribute.name {
        case "ice-ufrag":
            guard target.iceUfrag == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
            target.iceUfrag = try requiredValue(attribute, number: number)
        case "ice-pwd":
            guard target.icePwd == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
            target.icePwd = try requiredValue(attribute, number: number)
        case "ice-options":
            guard target.iceOptions.isEmpty else { throw .duplicateAttribute(line: number, name: attribute.name) }
            target.iceOptions = SDPText.fields(Substring(try requiredValue(attribute, number: number))).map(String.init)
        case "fingerprint":
            let value = attribute.value ?? ""
            guard let fingerprint = CertificateFingerprint(sdpValue: value) else {
                throw .badFingerprint(line: number, value: value)
            }
            target.fingerprints.append(fingerprint)
        case "setup":
            let value = attribute.value ?? ""
            guard target.setup == nil else { throw .duplicateAttribute(line: number, name: attribute.name) }
            guard let setup = DTLSSetupRole(rawValue: SDPText.trimmed(Substring(value)).lowercased()) else {
                throw .badSetup(line: number, value: value)
            }
            target.setup = setup
        case "end-of-candidates":
            target.endOfCandidates = true
        default:
            return false
        }
        return true
    }

    private static func requiredValue(_ attribute: SDPAttribute, number: Int) throws(SDPParseError) -> String {
        let value = String(SDPText.trimmed(Substring(attribute.value ?? "")))
        guard !value.isEmpty else { throw .missingValue(line: number, attribute: attribute.name) }
        return value
    }

    private static func number<Integer: FixedWidthInteger>(_ attribute: SDPAttribute, number: Int,
                                                           as type: Integer.Type) throws(SDPParseError) -> Integer
    {
        let value = String(SDPText.trimmed(Substring(attribute.value ?? "")))
        guard let parsed = SDPText.decimal(value, as: type) else {
            throw .badNumber(line: number, attribute: attribute.name, value: attribute.value ?? "")
        }
        return parsed
    }
}
