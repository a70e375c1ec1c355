/// `a=setup:` (RFC 4145, RFC 8842): which side starts the DTLS handshake. The offerer says
/// `actpass`; the answerer picks `active` (it will be the DTLS client) or `passive`.
public enum DTLSSetupRole: String, Sendable, Hashable, CaseIterable {
    case actpass
    case active
    case passive
    case holdconn
}
