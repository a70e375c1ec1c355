#include "cdtls.h"

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CDTLS_QUEUE_CAPACITY 64

typedef struct {
    uint8_t *data;
    size_t length;
} cdtls_datagram;

typedef struct {
    cdtls_datagram items[CDTLS_QUEUE_CAPACITY];
    size_t head;
    size_t count;
} cdtls_queue;

typedef struct {
    cdtls_queue incoming;
    cdtls_queue outgoing;
    int mtu;
} cdtls_bio_state;

static int queue_push(cdtls_queue *queue, const uint8_t *data, size_t length) {
    if (queue->count == CDTLS_QUEUE_CAPACITY) return 0;
    uint8_t *copy = malloc(length > 0 ? length : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, length);
    size_t tail = (queue->head + queue->count) % CDTLS_QUEUE_CAPACITY;
    queue->items[tail].data = copy;
    queue->items[tail].length = length;
    queue->count += 1;
    return 1;
}

static void queue_drop_front(cdtls_queue *queue) {
    free(queue->items[queue->head].data);
    queue->head = (queue->head + 1) % CDTLS_QUEUE_CAPACITY;
    queue->count -= 1;
}

static void queue_clear(cdtls_queue *queue) {
    while (queue->count > 0) queue_drop_front(queue);
}

static int datagram_write(BIO *bio, const char *data, int length) {
    cdtls_bio_state *state = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (length < 0 || !queue_push(&state->outgoing, (const uint8_t *)data, (size_t)length)) return -1;
    return length;
}

static int datagram_read(BIO *bio, char *buffer, int capacity) {
    cdtls_bio_state *state = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (state->incoming.count == 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    cdtls_datagram *front = &state->incoming.items[state->incoming.head];
    // A datagram larger than the reader's buffer is truncated, as a UDP socket would do.
    size_t length = front->length < (size_t)capacity ? front->length : (size_t)capacity;
    memcpy(buffer, front->data, length);
    queue_drop_front(&state->incoming);
    return (int)length;
}

static long datagram_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)pointer;
    cdtls_bio_state *state = BIO_get_data(bio);
    switch (command) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return state->mtu;
    case BIO_CTRL_DGRAM_SET_MTU:
        state->mtu = (int)number;
        return number;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0;
    case BIO_CTRL_WPENDING:
        return 0;
    case BIO_CTRL_PENDING:
        return state->incoming.count > 0 ? (long)state->incoming.items[state->incoming.head].length : 0;
    default:
        return 0;
    }
}

static int datagram_create(BIO *bio) {
    cdtls_bio_state *state = calloc(1, sizeof(cdtls_bio_state));
    if (state == NULL) return 0;
    state->mtu = 1200;
    BIO_set_data(bio, state);
    BIO_set_init(bio, 1);
    return 1;
}

static int datagram_destroy(BIO *bio) {
    cdtls_bio_state *state = BIO_get_data(bio);
    if (state != NULL) {
        queue_clear(&state->incoming);
        queue_clear(&state->outgoing);
        free(state);
    }
    BIO_set_data(bio, NULL);
    return 1;
}

// Created once; OpenSSL method tables are immutable after setup and safe to share between threads.
static BIO_METHOD *datagram_method_instance = NULL;

static void init_datagram_method(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "chatixia datagram");
    BIO_meth_set_write(method, datagram_write);
    BIO_meth_set_read(method, datagram_read);
    BIO_meth_set_ctrl(method, datagram_ctrl);
    BIO_meth_set_create(method, datagram_create);
    BIO_meth_set_destroy(method, datagram_destroy);
    datagram_method_instance = method;
}

static BIO_METHOD *datagram_method(void) {
    static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
    CRYPTO_THREAD_run_once(&once, init_datagram_method);
    return datagram_method_instance;
}

BIO *cdtls_datagram_bio_new(int mtu) {
    BIO *bio = BIO_new(datagram_method());
    if (bio != NULL) ((cdtls_bio_state *)BIO_get_data(bio))->mtu = mtu;
    return bio;
}

int cdtls_datagram_bio_push(BIO *bio, const uint8_t *data, size_t length) {
    return queue_push(&((cdtls_bio_state *)BIO_get_data(bio))->incoming, data, length);
}

size_t cdtls_datagram_bio_peek_length(BIO *bio) {
    cdtls_queue *queue = &((cdtls_bio_state *)BIO_get_data(bio))->outgoing;
    return queue->count > 0 ? queue->items[queue->head].length : 0;
}

long cdtls_datagram_bio_pop(BIO *bio, uint8_t *buffer, size_t capacity) {
    cdtls_queue *queue = &((cdtls_bio_state *)BIO_get_data(bio))->outgoing;
    if (queue->count == 0) return 0;
    cdtls_datagram *front = &queue->items[queue->head];
    if (front->length > capacity) return -1;
    size_t length = front->length;
    memcpy(buffer, front->data, length);
    queue_drop_front(queue);
    return (long)length;
}

int cdtls_generate_certificate(const char *common_name, int days, EVP_PKEY **key_out, X509 **certificate_out) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    BIGNUM *serial = BN_new();
    int ok = key != NULL && certificate != NULL && serial != NULL;
    ok = ok && X509_set_version(certificate, 2);
    ok = ok && BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    ok = ok && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != NULL;
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(certificate), -86400) != NULL;
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(certificate), (long)days * 86400) != NULL;
    ok = ok && X509_set_pubkey(certificate, key);
    X509_NAME *name = ok ? X509_get_subject_name(certificate) : NULL;
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0);
    ok = ok && X509_set_issuer_name(certificate, name);
    ok = ok && X509_sign(certificate, key, EVP_sha256()) > 0;
    BN_free(serial);
    if (!ok) {
        EVP_PKEY_free(key);
        X509_free(certificate);
        return 0;
    }
    *key_out = key;
    *certificate_out = certificate;
    return 1;
}

int cdtls_certificate_sha256(X509 *certificate, uint8_t digest[32]) {
    unsigned int length = 32;
    return X509_digest(certificate, EVP_sha256(), digest, &length) == 1 && length == 32;
}

static unsigned int doubling_timer(SSL *ssl, unsigned int previous_microseconds) {
    unsigned int initial = (unsigned int)(uintptr_t)SSL_get_app_data(ssl);
    if (previous_microseconds == 0) return initial;
    unsigned int next = previous_microseconds * 2;
    return next > 60000000u ? 60000000u : next;
}

void cdtls_set_initial_timeout(SSL *ssl, unsigned int initial_microseconds) {
    SSL_set_app_data(ssl, (void *)(uintptr_t)initial_microseconds);
    DTLS_set_timer_cb(ssl, doubling_timer);
}

// Per-SSL fingerprint expectation, kept in the SSL's ex_data and freed with it.
typedef struct {
    uint8_t expected[32];
    uint8_t actual[32];
    int mismatch;
} cdtls_peer_check;

static int peer_check_index = -1;

static void free_peer_check(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent;
    (void)data;
    (void)index;
    (void)argl;
    (void)argp;
    OPENSSL_free(pointer);
}

static void init_peer_check_index(void) {
    peer_check_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_peer_check);
}

static int peer_check_slot(void) {
    static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
    CRYPTO_THREAD_run_once(&once, init_peer_check_index);
    return peer_check_index;
}

// OpenSSL calls this for each certificate of the chain, the leaf (depth 0) always among them. Chain
// errors (self-signed, untrusted) are ignored; a leaf that is not the signaled one fails the handshake
// there, before our Finished, so the peer gets an alert instead of a handshake that seems complete.
static int verify_peer(int preverified, X509_STORE_CTX *store) {
    (void)preverified;
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    cdtls_peer_check *check = ssl != NULL && peer_check_slot() >= 0 ? SSL_get_ex_data(ssl, peer_check_slot()) : NULL;
    if (check == NULL) return 1;
    X509 *certificate = X509_STORE_CTX_get_current_cert(store);
    if (certificate != NULL && cdtls_certificate_sha256(certificate, check->actual)
        && CRYPTO_memcmp(check->actual, check->expected, 32) == 0) {
        return 1;
    }
    check->mismatch = 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

void cdtls_accept_any_peer_certificate(SSL_CTX *context) {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
}

int cdtls_expect_peer_sha256(SSL *ssl, const uint8_t digest[32]) {
    int slot = peer_check_slot();
    if (slot < 0) return 0;
    cdtls_peer_check *check = OPENSSL_zalloc(sizeof(cdtls_peer_check));
    if (check == NULL) return 0;
    memcpy(check->expected, digest, 32);
    OPENSSL_free(SSL_get_ex_data(ssl, slot));
    if (!SSL_set_ex_data(ssl, slot, check)) {
        OPENSSL_free(check);
        return 0;
    }
    return 1;
}

int cdtls_peer_sha256_mismatch(SSL *ssl, uint8_t actual[32]) {
    int slot = peer_check_slot();
    cdtls_peer_check *check = slot >= 0 ? SSL_get_ex_data(ssl, slot) : NULL;
    if (check == NULL || !check->mismatch) return 0;
    memcpy(actual, check->actual, 32);
    return 1;
}

int cdtls_peer_certificate_sha256(SSL *ssl, uint8_t digest[32]) {
    X509 *peer = SSL_get1_peer_certificate(ssl);
    if (peer == NULL) return 0;
    int ok = cdtls_certificate_sha256(peer, digest);
    X509_free(peer);
    return ok;
}

void cdtls_last_error(char *buffer, size_t capacity) {
    unsigned long code = ERR_get_error();
    if (code == 0) {
        snprintf(buffer, capacity, "no OpenSSL error queued");
    } else {
        ERR_error_string_n(code, buffer, capacity);
    }
    ERR_clear_error();
}
