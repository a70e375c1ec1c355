import CDTLS

/// The process's DTLS identity: an ECDSA P-256 self-signed certificate and an OpenSSL context
/// configured for WebRTC (DTLS 1.2, ECDHE-ECDSA AEAD suites, any peer certificate accepted during the
/// handshake because the peer is authenticated by the fingerprint from signaling instead).
///
/// `@unchecked Sendable`: the SSL_CTX, key and certificate are fully configured in `init` and only read
/// afterwards; OpenSSL documents SSL_CTX as safe to share between threads for creating SSL objects, and
/// the objects are reference counted and freed once in `deinit`.
public final class DTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    private let key: OpaquePointer
    private let certificate: OpaquePointer
    /// The sha-256 fingerprint to put in our SDP.
    public let fingerprint: DTLSFingerprint

    public init(commonName: String = "chatixia", validDays: Int32 = 30) throws(DTLSError) {
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        guard cdtls_generate_certificate(commonName, validDays, &key, &certificate) == 1, let key, let certificate else {
            throw DTLSError.openSSL("certificate generation failed: \(lastOpenSSLError())")
        }
        var digest = [UInt8](repeating: 0, count: 32)
        guard cdtls_certificate_sha256(certificate, &digest) == 1, let context = SSL_CTX_new(DTLS_method()) else {
            EVP_PKEY_free(key)
            X509_free(certificate)
            throw DTLSError.openSSL("cannot create DTLS context: \(lastOpenSSLError())")
        }
        self.key = key
        self.certificate = certificate
        self.context = context
        fingerprint = DTLSFingerprint(bytes: digest)
        let configured =
            SSL_CTX_use_certificate(context, certificate) == 1 && SSL_CTX_use_PrivateKey(context, key) == 1
            && SSL_CTX_check_private_key(context) == 1
            && cdtls_require_dtls12(context) == 1
            && SSL_CTX_set_cipher_list(
                context, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384") == 1
        guard configured else { throw DTLSError.openSSL("cannot configure DTLS context: \(lastOpenSSLError())") }
        // Offer DTLS-SRTP profiles although we carry no media: aiortc fails a handshake without one, and
        // browsers always negotiate it (RFC 8827 §6.5).
        guard SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") == 0 else {
            throw DTLSError.openSSL("cannot enable DTLS-SRTP: \(lastOpenSSLError())")
        }
        SSL_CTX_set_options(context, cdtls_option_no_query_mtu())
        cdtls_accept_any_peer_certificate(context)
    }

    deinit {
        SSL_CTX_free(context)
        EVP_PKEY_free(key)
        X509_free(certificate)
    }
}

/// Why a DTLS operation failed.
public enum DTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    case openSSL(String)
    case fingerprintMismatch(expected: String, actual: String)
    case notConnected
    case messageTooLarge(Int)

    public var description: String {
        switch self {
        case .openSSL(let message): "DTLS: \(message)"
        case .fingerprintMismatch(let expected, let actual): "DTLS: remote certificate fingerprint \(actual) does not match the signaled \(expected)"
        case .notConnected: "DTLS: not connected"
        case .messageTooLarge(let size): "DTLS: \(size) bytes do not fit one record"
        }
    }
}

func lastOpenSSLError() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    cdtls_last_error(&buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
