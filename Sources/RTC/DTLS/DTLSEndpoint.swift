import CDTLS
import SansIO

/// Which side of the DTLS handshake we are (SDP `a=setup:active` is the client).
public enum DTLSRole: Sendable, Equatable {
    case client, server
}

/// What the endpoint reports as it runs.
public enum DTLSEvent: Sendable, Equatable {
    /// The handshake finished and the peer's certificate matched the signaled fingerprint.
    case connected
    case applicationData([UInt8])
    /// The peer closed the association (close_notify).
    case closed
    case failed(DTLSError)
}

/// A sans-IO DTLS 1.2 endpoint over OpenSSL.
///
/// Feed it received datagrams with `receive`, drain `pollTransmit` for datagrams to send and
/// `pollEvent` for events, and call `handleTimeout` when `timeout` has passed. It owns no socket and no
/// thread; one owner (an event loop) drives it.
///
/// The one core not on its owner's clock: OpenSSL times handshake retransmissions itself, on the real
/// monotonic clock, and offers no way to hand it the time (`timeout` is what is left of its timer).
/// Once connected DTLS has no timers, so a virtual-clock test of the layers above spares handshake
/// records from its simulated loss (`LossyLink.spares`) and is otherwise driven by its own clock.
public final class DTLSEndpoint {
    private enum State {
        case idle, handshaking, connected, closed, failed
    }

    public let role: DTLSRole
    private let context: DTLSContext
    private let ssl: OpaquePointer
    private let bio: OpaquePointer
    private let expectedFingerprint: DTLSFingerprint
    private var state = State.idle
    private var events = DrainQueue<DTLSEvent>()
    private var readBuffer = [UInt8](repeating: 0, count: 1 << 16)

    /// The largest application message one record carries; SCTP packets stay far below it.
    public static let maxRecordPayload = 16_384

    public init(
        role: DTLSRole, context: DTLSContext, remoteFingerprint: DTLSFingerprint, mtu: Int = 1200,
        initialRetransmitTimeout: Duration = .milliseconds(100)
    ) throws(DTLSError) {
        guard remoteFingerprint.algorithm == "sha-256", remoteFingerprint.bytes.count == 32 else {
            throw DTLSError.openSSL("only sha-256 fingerprints are supported (got \(remoteFingerprint.algorithm))")
        }
        guard let ssl = SSL_new(context.context), let bio = cdtls_datagram_bio_new(Int32(mtu)) else {
            throw DTLSError.openSSL("cannot create DTLS session: \(lastOpenSSLError())")
        }
        self.role = role
        self.context = context
        self.ssl = ssl
        self.bio = bio
        expectedFingerprint = remoteFingerprint
        // The SSL object owns the BIO from here on (freed by SSL_free).
        SSL_set_bio(ssl, bio, bio)
        // Checked during the handshake too, so a wrong certificate aborts it with an alert to the peer.
        guard remoteFingerprint.bytes.withUnsafeBufferPointer({ cdtls_expect_peer_sha256(ssl, $0.baseAddress) }) == 1 else {
            throw DTLSError.openSSL("cannot set the expected peer fingerprint: \(lastOpenSSLError())")
        }
        _ = cdtls_set_link_mtu(ssl, mtu)
        cdtls_set_initial_timeout(ssl, UInt32(clamping: initialRetransmitTimeout.wholeNanoseconds / 1000))
        if role == .client { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
    }

    deinit {
        SSL_free(ssl)
    }

    public var isConnected: Bool { state == .connected }

    /// Begins the handshake; a client sends its ClientHello now, a server waits for one.
    public func start() {
        guard state == .idle else { return }
        state = .handshaking
        advance()
    }

    /// Feeds one received datagram.
    public func receive(_ datagram: [UInt8]) {
        guard state == .handshaking || state == .connected || state == .idle else { return }
        if state == .idle { state = .handshaking }
        guard datagram.withUnsafeBufferPointer({ cdtls_datagram_bio_push(bio, $0.baseAddress, $0.count) }) == 1 else {
            return  // Queue full: drop, as a full socket buffer would; DTLS retransmits.
        }
        advance()
    }

    /// Encrypts one application message into a record.
    public func send(_ data: [UInt8]) throws(DTLSError) {
        guard state == .connected else { throw DTLSError.notConnected }
        guard data.count <= Self.maxRecordPayload else { throw DTLSError.messageTooLarge(data.count) }
        guard !data.isEmpty else { return }
        let written = data.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        if written <= 0 { fail(.openSSL("write failed: \(lastOpenSSLError())")) }
    }

    /// Sends close_notify.
    public func close() {
        guard state == .connected || state == .handshaking else { return }
        _ = SSL_shutdown(ssl)
        state = .closed
    }

    /// The next datagram to send, if any.
    public func pollTransmit() -> [UInt8]? {
        let length = cdtls_datagram_bio_peek_length(bio)
        guard length > 0 else { return nil }
        var datagram = [UInt8](repeating: 0, count: length)
        let popped = datagram.withUnsafeMutableBufferPointer { cdtls_datagram_bio_pop(bio, $0.baseAddress, $0.count) }
        return popped > 0 ? datagram : nil
    }

    public func pollEvent() -> DTLSEvent? {
        events.popFirst()
    }

    /// Time until OpenSSL wants `handleTimeout` (a retransmission), while the handshake runs.
    public var timeout: Duration? {
        guard state == .handshaking else { return nil }
        var seconds = 0
        var microseconds = 0
        guard cdtls_get_timeout(ssl, &seconds, &microseconds) == 1 else { return nil }
        return .seconds(seconds) + .microseconds(microseconds)
    }

    public func handleTimeout() {
        guard state == .handshaking else { return }
        if cdtls_handle_timeout(ssl) < 0 {
            fail(.openSSL("handshake timed out: \(lastOpenSSLError())"))
        }
    }

    private func advance() {
        if state == .handshaking {
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                verifyPeer()
            } else {
                let error = SSL_get_error(ssl, result)
                var actual = [UInt8](repeating: 0, count: 32)
                if cdtls_peer_sha256_mismatch(ssl, &actual) == 1 {
                    _ = lastOpenSSLError()  // "certificate verify failed": the mismatch says more
                    fail(.fingerprintMismatch(expected: expectedFingerprint.hex, actual: DTLSFingerprint(bytes: actual).hex))
                } else if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                    fail(.openSSL("handshake failed: \(lastOpenSSLError())"))
                }
            }
        }
        guard state == .connected else { return }
        while true {
            let count = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                events.append(.applicationData(Array(readBuffer[0..<Int(count)])))
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                state = .closed
                events.append(.closed)
                return
            default:
                fail(.openSSL("read failed: \(lastOpenSSLError())"))
                return
            }
        }
    }

    /// The peer must present exactly the certificate signaling told us about, before any data flows
    /// (already enforced during the handshake; checked again here as the last gate).
    private func verifyPeer() {
        var digest = [UInt8](repeating: 0, count: 32)
        guard cdtls_peer_certificate_sha256(ssl, &digest) == 1 else {
            return fail(.openSSL("peer sent no certificate"))
        }
        let actual = DTLSFingerprint(bytes: digest)
        guard actual == expectedFingerprint else {
            return fail(.fingerprintMismatch(expected: expectedFingerprint.hex, actual: actual.hex))
        }
        state = .connected
        events.append(.connected)
    }

    private func fail(_ error: DTLSError) {
        guard state != .failed else { return }
        state = .failed
        events.append(.failed(error))
    }
}
