extension SessionDescription {
    /// The description as text, lines in the order RFC 8866 requires (`v o s i u e p c b t r z k a`,
    /// then each m-section as `m i c b k a`), every line ending in `\r\n`.
    public func serialized() -> String {
        var lines: [String] = ["v=\(version)", "o=\(origin.text)", "s=\(sessionName)"]
        lines += otherLines(inSlot: 0)
        if let connection { lines.append("c=\(connection.text)") }
        lines += otherLines(inSlot: 1)
        lines.append("t=\(timing)")
        lines += otherLines(inSlot: 2)
        lines += otherLines(inSlot: 3)
        for group in groups { lines.append("a=group:\(group.text)") }
        if extmapAllowMixed { lines.append("a=extmap-allow-mixed") }
        // Chromium writes a space after the colon; everyone reads it either way.
        if let msidSemantic { lines.append("a=msid-semantic: \(msidSemantic)") }
        if iceLite { lines.append("a=ice-lite") }
        lines += transportAttributeLines(self)
        if endOfCandidates { lines.append("a=end-of-candidates") }
        lines += otherAttributes.map { "a=\($0.text)" }
        for section in media { lines += section.lines() }
        return lines.map { $0 + "\r\n" }.joined()
    }

    private func otherLines(inSlot slot: Int) -> [String] {
        otherLines.filter { $0.sessionSlot == slot }.map(\.text)
    }
}

extension MediaDescription {
    /// The m-section's lines. Order follows Chromium: ICE, DTLS, mid, SCTP, then candidates.
    func lines() -> [String] {
        let port = portCount.map { "\(self.port)/\($0)" } ?? String(self.port)
        var lines = ["m=" + ([kind, port, proto] + formats).joined(separator: " ")]
        lines += otherLines.filter { $0.mediaSlot == 0 }.map(\.text)
        if let connection { lines.append("c=\(connection.text)") }
        lines += otherLines.filter { $0.mediaSlot == 1 }.map(\.text)
        lines += transportAttributeLines(self)
        if let mid { lines.append("a=mid:\(mid)") }
        if let sctpPort { lines.append("a=sctp-port:\(sctpPort)") }
        if let maxMessageSize { lines.append("a=max-message-size:\(maxMessageSize)") }
        lines += candidates.map { "a=\($0.candidateAttribute)" }
        if endOfCandidates { lines.append("a=end-of-candidates") }
        lines += otherAttributes.map { "a=\($0.text)" }
        return lines
    }
}

/// ICE credentials and options, fingerprints and setup, at either level.
private func transportAttributeLines(_ source: some SDPTransportAttributes) -> [String] {
    var lines: [String] = []
    if let iceUfrag = source.iceUfrag { lines.append("a=ice-ufrag:\(iceUfrag)") }
    if let icePwd = source.icePwd { lines.append("a=ice-pwd:\(icePwd)") }
    if !source.iceOptions.isEmpty { lines.append("a=ice-options:" + source.iceOptions.joined(separator: " ")) }
    lines += source.fingerprints.map { "a=fingerprint:\($0.sdpValue)" }
    if let setup = source.setup { lines.append("a=setup:\(setup.rawValue)") }
    return lines
}

extension SDPLine {
    /// Where RFC 8866 puts this line in the session part: 0 after `s=` (`i u e p`), 1 after `c=`
    /// (`b`), 2 after `t=` (`r z k`), 3 after those (letters RFC 8866 does not name).
    var sessionSlot: Int {
        switch type {
        case "i", "u", "e", "p": 0
        case "b": 1
        case "r", "z", "k": 2
        default: 3
        }
    }

    /// Where it goes in an m-section: 0 after `m=` (`i`), 1 after `c=` (everything else).
    var mediaSlot: Int { type == "i" ? 0 : 1 }

    var text: String { "\(type)=\(value)" }
}
