// Thin C glue over usrsctp in no-threads mode: one association per object, AF_CONN addressing,
// outgoing packets queued per association, and flat structs instead of usrsctp's unions.
// Every entry point takes a process-wide lock: usrsctp's no-threads mode is not thread-safe.
#ifndef CSCTP_H
#define CSCTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct csctp_association csctp_association;

typedef enum {
    CSCTP_NOTHING = 0,
    CSCTP_DATA = 1,
    CSCTP_CONNECTED = 2,
    CSCTP_CLOSED = 3,
    CSCTP_STREAM_RESET = 4,
} csctp_kind;

typedef struct {
    csctp_kind kind;
    uint16_t stream;
    uint32_t ppid;
    /// 1 when this piece ends its message (MSG_EOR).
    int end_of_message;
    /// For CSCTP_STREAM_RESET: the incoming streams the peer reset.
    uint16_t reset_streams[32];
    int reset_count;
} csctp_info;

/// Creates an association on `port` talking to `remote_port` and starts the (simultaneous-open) connect.
/// `buffer_bytes` sizes the send and receive buffers. Returns NULL on failure.
csctp_association *csctp_association_new(uint16_t port, uint16_t remote_port, int buffer_bytes);
void csctp_association_free(csctp_association *association);

/// Feeds one SCTP packet received from DTLS.
/// SCTP's CRC32c checksum field value for `packet` (its checksum field taken as zero), as stored in the header.
uint32_t csctp_checksum(const uint8_t *packet, size_t length);
void csctp_input(csctp_association *association, const uint8_t *packet, size_t length);
/// Length of the oldest queued outgoing packet, or 0.
size_t csctp_peek_output(csctp_association *association);
/// Pops the oldest outgoing packet into `buffer`; returns its length, 0 when none.
size_t csctp_pop_output(csctp_association *association, uint8_t *buffer, size_t capacity);

/// Sends one message. Returns the bytes accepted, -EWOULDBLOCK (or another -errno) otherwise.
long csctp_send(csctp_association *association, uint16_t stream, uint32_t ppid, int unordered, const uint8_t *data, size_t length);
/// Reads the next message piece or notification. Returns its data length (>= 0) with `info` filled,
/// or -1 when there is nothing to read.
long csctp_receive(csctp_association *association, uint8_t *buffer, size_t capacity, csctp_info *info);
/// Whether usrsctp reported free send space since the last call (clears the flag).
int csctp_take_writable(csctp_association *association);
/// Whether usrsctp may have timers running for the association: it is not (or no longer) established, or data we
/// sent waits to be sent or acknowledged. An established association with nothing in flight has none.
int csctp_needs_timers(csctp_association *association);
/// Resets our outgoing stream (closes a data channel, RFC 8831).
int csctp_reset_stream(csctp_association *association, uint16_t stream);
/// Advances usrsctp's process-wide timers to the caller's clock (milliseconds); call every few ms while
/// associations exist. A time earlier than the last one restarts the count without firing timers.
void csctp_tick(uint64_t now_ms);
/// Gracefully shuts the association down (SHUTDOWN chunk).
void csctp_shutdown(csctp_association *association);

#endif
