/// Why text is not a usable session description. Line numbers count from 1.
public enum SDPParseError: Error, Sendable, Hashable {
    /// No lines at all.
    case empty
    /// A line that is not `<letter>=<value>`.
    case malformedLine(line: Int, text: String)
    /// The first line is not `v=`.
    case missingVersion
    case unsupportedVersion(line: Int, version: String)
    case missingOrigin
    case malformedOrigin(line: Int, text: String)
    case malformedMediaLine(line: Int, text: String)
    case badPort(line: Int, text: String)
    case malformedConnection(line: Int, text: String)
    /// A hash name without a digest, bad hex, or a digest of the wrong size for its hash.
    case badFingerprint(line: Int, value: String)
    case badSetup(line: Int, value: String)
    /// `a=sctp-port`, `a=max-message-size` or a similar value that must be a number and is not.
    case badNumber(line: Int, attribute: String, value: String)
    case badCandidate(line: Int, ICECandidate.ParseError)
    /// A single-valued attribute (`ice-ufrag`, `setup`, `mid`, ...) given twice at one level.
    case duplicateAttribute(line: Int, name: String)
    /// An attribute that needs a value given without one, such as `a=ice-ufrag`.
    case missingValue(line: Int, attribute: String)
    case missingMediaSection
    /// No `m=application` section for `webrtc-datachannel`.
    case noDataChannelMedia
    /// The data channel m-section has port 0: the answerer turned it down.
    case dataChannelRejected
    /// Neither the m-section nor the session gives `a=ice-ufrag` and `a=ice-pwd`.
    case missingICECredentials
    /// Neither the m-section nor the session gives an `a=fingerprint`.
    case missingFingerprint
}
