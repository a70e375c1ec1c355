// Thin C glue between Swift and OpenSSL's DTLS: wrappers for OpenSSL macros Swift cannot import,
// a datagram-preserving BIO, and self-signed certificate helpers. No protocol logic lives here.
#ifndef CDTLS_H
#define CDTLS_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

/// A BIO that keeps datagram boundaries: each write becomes one outgoing datagram, each pushed
/// incoming datagram is returned whole by one read. Reads on an empty queue ask to retry.
BIO *cdtls_datagram_bio_new(int mtu);
/// Queues one received datagram for OpenSSL to read. Returns 0 when the queue is full.
int cdtls_datagram_bio_push(BIO *bio, const uint8_t *data, size_t length);
/// Pops the oldest datagram OpenSSL wrote; returns its length (0 when none, -1 when `capacity` is too small).
long cdtls_datagram_bio_pop(BIO *bio, uint8_t *buffer, size_t capacity);
/// Length of the oldest written datagram, or 0.
size_t cdtls_datagram_bio_peek_length(BIO *bio);

/// Creates an ECDSA P-256 key and a self-signed certificate valid for `days` days.
int cdtls_generate_certificate(const char *common_name, int days, EVP_PKEY **key_out, X509 **certificate_out);
/// SHA-256 of the DER certificate into `digest` (32 bytes). Returns 1 on success.
int cdtls_certificate_sha256(X509 *certificate, uint8_t digest[32]);

/// Macro wrappers.
static inline long cdtls_set_link_mtu(SSL *ssl, long mtu) { return DTLS_set_link_mtu(ssl, mtu); }
static inline uint64_t cdtls_option_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }
static inline int cdtls_get_timeout(SSL *ssl, long *seconds, long *microseconds) {
    struct timeval tv;
    int result = (int)DTLSv1_get_timeout(ssl, &tv);
    *seconds = (long)tv.tv_sec;
    *microseconds = (long)tv.tv_usec;
    return result;
}
static inline int cdtls_handle_timeout(SSL *ssl) { return (int)DTLSv1_handle_timeout(ssl); }
static inline int cdtls_require_dtls12(SSL_CTX *context) { return (int)SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION); }
/// Sets DTLS's initial retransmission timeout (doubling on each retry, capped at 60 s).
void cdtls_set_initial_timeout(SSL *ssl, unsigned int initial_microseconds);
/// Peer certificates are not chain-validated (WebRTC's are self-signed): an SSL object given an
/// expected SHA-256 with cdtls_expect_peer_sha256 accepts only a leaf certificate with that digest and
/// otherwise aborts the handshake with a bad_certificate alert; one without accepts any certificate.
void cdtls_accept_any_peer_certificate(SSL_CTX *context);
/// The SHA-256 (32 bytes) the peer's certificate must have. Returns 1 on success.
int cdtls_expect_peer_sha256(SSL *ssl, const uint8_t digest[32]);
/// 1 when the handshake was aborted because the peer's certificate did not have the expected digest;
/// its digest is then in `actual` (32 bytes).
int cdtls_peer_sha256_mismatch(SSL *ssl, uint8_t actual[32]);
/// The peer's certificate SHA-256 (32 bytes). Returns 1 when there is a peer certificate.
int cdtls_peer_certificate_sha256(SSL *ssl, uint8_t digest[32]);
/// The last OpenSSL error as text into `buffer`.
void cdtls_last_error(char *buffer, size_t capacity);

#endif
