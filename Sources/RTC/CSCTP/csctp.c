#include "csctp.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

#define OUTPUT_CAPACITY 256

struct csctp_association {
    struct socket *socket;
    uint8_t *packets[OUTPUT_CAPACITY];
    size_t lengths[OUTPUT_CAPACITY];
    size_t head;
    size_t count;
    int writable;
    /// The peer ended the association: reads return nothing more.
    int at_end;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
/// The caller's time at the last tick; usrsctp's timer wheel has advanced to it.
static uint64_t last_tick_ms = 0;
static int ticked = 0;

// SCTP's CRC32c, computed here rather than by usrsctp: with the SSE4.2 crc32 instruction it costs a
// fraction of usrsctp's table-driven version, which showed up at ~7% of a bulk transfer's CPU.
#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const uint8_t *data, size_t length) {
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, data, 8);
        crc = (uint32_t)__builtin_ia32_crc32di(crc, word);
        data += 8;
        length -= 8;
    }
    while (length-- > 0) crc = __builtin_ia32_crc32qi(crc, *data++);
    return crc;
}
#endif

/// The value of the common header's checksum field (bytes 8-11) for `packet`, whose field is taken as zero.
uint32_t csctp_checksum(const uint8_t *packet, size_t length) {
    static const uint8_t zero[4] = {0};
    if (length < 12) return 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) {
        uint32_t crc = crc32c_hardware(0xFFFFFFFF, packet, 8);
        crc = crc32c_hardware(crc, zero, 4);
        crc = crc32c_hardware(crc, packet + 12, length - 12);
        return ~crc;  // stored in host order, as usrsctp stores its own
    }
#endif
    uint8_t *copy = malloc(length);
    if (copy == NULL) return 0;
    memcpy(copy, packet, length);
    memset(copy + 8, 0, 4);
    uint32_t checksum = usrsctp_crc32c(copy, length);
    free(copy);
    return checksum;
}

/// usrsctp hands us each outgoing packet here, during a call we made under the lock.
static int output(void *address, void *packet, size_t length, uint8_t tos, uint8_t set_df) {
    (void)tos;
    (void)set_df;
    csctp_association *association = address;
    if (association->count == OUTPUT_CAPACITY) return 0;  // dropped, as a full socket buffer would
    uint8_t *copy = malloc(length);
    if (copy == NULL) return 0;
    memcpy(copy, packet, length);
    if (length >= 12) {
        uint32_t checksum = csctp_checksum(copy, length);
        memcpy(copy + 8, &checksum, 4);
    }
    size_t tail = (association->head + association->count) % OUTPUT_CAPACITY;
    association->packets[tail] = copy;
    association->lengths[tail] = length;
    association->count += 1;
    return 0;
}

/// Called by usrsctp (during one of our locked calls) when the socket becomes readable or writable.
static void upcall(struct socket *socket, void *argument, int flags) {
    (void)flags;
    if (usrsctp_get_events(socket) & SCTP_EVENT_WRITE) ((csctp_association *)argument)->writable = 1;
}

static void initialize(void) {
    usrsctp_init_nothreads(0, output, NULL);
    // Checksums are ours (csctp_checksum, in output and csctp_input): usrsctp neither fills nor checks them.
    usrsctp_enable_crc32c_offload();
    // WebRTC settings as browsers use them: no ECN, quicker retransmission than the RFC defaults.
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_rto_min_default(100);
    usrsctp_sysctl_set_sctp_rto_max_default(5000);
    usrsctp_sysctl_set_sctp_rto_initial_default(500);
    usrsctp_sysctl_set_sctp_init_rto_max_default(5000);
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(10 * 1024);
    usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(1024);
}

static int set_int(struct socket *socket, int level, int option, int value) {
    return usrsctp_setsockopt(socket, level, option, &value, sizeof(value));
}

csctp_association *csctp_association_new(uint16_t port, uint16_t remote_port, int buffer_bytes) {
    pthread_once(&once, initialize);
    csctp_association *association = calloc(1, sizeof(csctp_association));
    if (association == NULL) return NULL;
    pthread_mutex_lock(&lock);
    usrsctp_register_address(association);
    // No receive callback: we read with usrsctp_recvv after each call, and the upcall flags writability.
    struct socket *socket = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    int ok = socket != NULL;
    if (ok) {
        association->socket = socket;
        ok = usrsctp_set_non_blocking(socket, 1) == 0;
        ok = ok && usrsctp_set_upcall(socket, upcall, association) == 0;
        struct linger linger = {.l_onoff = 1, .l_linger = 0};
        ok = ok && usrsctp_setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) == 0;
        struct sctp_assoc_value reset = {.assoc_id = SCTP_ALL_ASSOC, .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
        ok = ok && usrsctp_setsockopt(socket, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset)) == 0;
        ok = ok && set_int(socket, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1) == 0;
        ok = ok && set_int(socket, IPPROTO_SCTP, SCTP_NODELAY, 1) == 0;
        ok = ok && set_int(socket, SOL_SOCKET, SO_SNDBUF, buffer_bytes) == 0;
        ok = ok && set_int(socket, SOL_SOCKET, SO_RCVBUF, buffer_bytes) == 0;
        // Large messages arrive in pieces rather than needing the whole message in the receive buffer.
        ok = ok && set_int(socket, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, 64 * 1024) == 0;
        uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
        for (size_t i = 0; ok && i < sizeof(events) / sizeof(events[0]); i++) {
            struct sctp_event event = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
            ok = usrsctp_setsockopt(socket, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof(event)) == 0;
        }
        struct sctp_initmsg init = {.sinit_num_ostreams = 1024, .sinit_max_instreams = 1024};
        ok = ok && usrsctp_setsockopt(socket, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) == 0;
        // WebRTC's path MTU: 1200 bytes of SCTP inside DTLS inside UDP, no discovery. No SCTP heartbeats: ICE's
        // consent checks already tell whether the peer is there, and an idle association then has no timer running.
        // Without heartbeats a path SCTP marked unreachable would never be tried again, even after ICE restarts
        // on a new network path; its one path is never marked so (the association's own retransmission limit
        // still ends it).
        struct sctp_paddrparams path;
        memset(&path, 0, sizeof(path));
        path.spp_assoc_id = SCTP_FUTURE_ASSOC;
        path.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_DISABLE;
        path.spp_pathmtu = 1200 - 28;
        path.spp_pathmaxrxt = UINT16_MAX;
        ok = ok && usrsctp_setsockopt(socket, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &path, sizeof(path)) == 0;
        struct sockaddr_conn local;
        memset(&local, 0, sizeof(local));
        local.sconn_family = AF_CONN;
        local.sconn_port = htons(port);
        local.sconn_addr = association;
        ok = ok && usrsctp_bind(socket, (struct sockaddr *)&local, sizeof(local)) == 0;
        struct sockaddr_conn remote = local;
        remote.sconn_port = htons(remote_port);
        int connected = ok ? usrsctp_connect(socket, (struct sockaddr *)&remote, sizeof(remote)) : -1;
        ok = ok && (connected == 0 || errno == EINPROGRESS);
    }
    if (!ok) {
        if (association->socket != NULL) usrsctp_close(association->socket);
        usrsctp_deregister_address(association);
        pthread_mutex_unlock(&lock);
        free(association);
        return NULL;
    }
    pthread_mutex_unlock(&lock);
    return association;
}

void csctp_association_free(csctp_association *association) {
    pthread_mutex_lock(&lock);
    if (association->socket != NULL) usrsctp_close(association->socket);
    usrsctp_deregister_address(association);
    while (association->count > 0) {
        free(association->packets[association->head]);
        association->head = (association->head + 1) % OUTPUT_CAPACITY;
        association->count -= 1;
    }
    pthread_mutex_unlock(&lock);
    free(association);
}

void csctp_input(csctp_association *association, const uint8_t *packet, size_t length) {
    uint32_t stored;
    if (length < 12) return;
    memcpy(&stored, packet + 8, 4);
    if (stored != csctp_checksum(packet, length)) return;  // corrupt: dropped, as SCTP would
    pthread_mutex_lock(&lock);
    usrsctp_conninput(association, packet, length, 0);
    pthread_mutex_unlock(&lock);
}

size_t csctp_peek_output(csctp_association *association) {
    pthread_mutex_lock(&lock);
    size_t length = association->count > 0 ? association->lengths[association->head] : 0;
    pthread_mutex_unlock(&lock);
    return length;
}

size_t csctp_pop_output(csctp_association *association, uint8_t *buffer, size_t capacity) {
    pthread_mutex_lock(&lock);
    size_t length = 0;
    if (association->count > 0 && association->lengths[association->head] <= capacity) {
        length = association->lengths[association->head];
        memcpy(buffer, association->packets[association->head], length);
        free(association->packets[association->head]);
        association->head = (association->head + 1) % OUTPUT_CAPACITY;
        association->count -= 1;
    }
    pthread_mutex_unlock(&lock);
    return length;
}

long csctp_send(csctp_association *association, uint16_t stream, uint32_t ppid, int unordered, const uint8_t *data, size_t length) {
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = stream;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = unordered ? SCTP_UNORDERED : 0;
    // SCTP cannot send an empty message: a single zero byte stands in, with the "empty" PPID telling the peer.
    static const uint8_t zero = 0;
    const void *payload = length == 0 ? &zero : data;
    size_t payload_length = length == 0 ? 1 : length;
    pthread_mutex_lock(&lock);
    ssize_t sent = usrsctp_sendv(association->socket, payload, payload_length, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
    int error = errno;
    pthread_mutex_unlock(&lock);
    return sent < 0 ? -(long)error : (long)length;
}

static void parse_notification(const uint8_t *buffer, long length, csctp_info *info) {
    const union sctp_notification *notification = (const void *)buffer;
    if ((size_t)length < sizeof(notification->sn_header)) return;
    switch (notification->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
        switch (notification->sn_assoc_change.sac_state) {
        case SCTP_COMM_UP: info->kind = CSCTP_CONNECTED; break;
        case SCTP_COMM_LOST:
        case SCTP_SHUTDOWN_COMP:
        case SCTP_CANT_STR_ASSOC: info->kind = CSCTP_CLOSED; break;
        default: break;
        }
        break;
    case SCTP_STREAM_RESET_EVENT: {
        const struct sctp_stream_reset_event *reset = &notification->sn_strreset_event;
        if (!(reset->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)) break;
        int count = (int)((reset->strreset_length - sizeof(*reset)) / sizeof(uint16_t));
        info->kind = CSCTP_STREAM_RESET;
        info->reset_count = 0;
        for (int i = 0; i < count && i < 32; i++) info->reset_streams[info->reset_count++] = reset->strreset_stream_list[i];
        break;
    }
    default:
        break;
    }
}

long csctp_receive(csctp_association *association, uint8_t *buffer, size_t capacity, csctp_info *info) {
    memset(info, 0, sizeof(*info));
    struct sctp_rcvinfo rcvinfo;
    socklen_t info_length = sizeof(rcvinfo);
    unsigned int info_type = 0;
    int flags = 0;
    struct sockaddr_conn from;
    socklen_t from_length = sizeof(from);
    pthread_mutex_lock(&lock);
    ssize_t length = usrsctp_recvv(association->socket, buffer, capacity, (struct sockaddr *)&from, &from_length, &rcvinfo, &info_length, &info_type, &flags);
    pthread_mutex_unlock(&lock);
    if (length < 0 || association->at_end) return -1;
    if (length == 0 && !(flags & MSG_NOTIFICATION)) {
        // End of the association: report it once, then read nothing more (recvv would return 0 forever).
        association->at_end = 1;
        info->kind = CSCTP_CLOSED;
        return 0;
    }
    if (flags & MSG_NOTIFICATION) {
        parse_notification(buffer, length, info);
        return 0;
    }
    info->kind = CSCTP_DATA;
    info->end_of_message = (flags & MSG_EOR) != 0;
    if (info_type == SCTP_RECVV_RCVINFO) {
        info->stream = rcvinfo.rcv_sid;
        info->ppid = ntohl(rcvinfo.rcv_ppid);
    }
    return (long)length;
}

int csctp_needs_timers(csctp_association *association) {
    struct sctp_status status;
    memset(&status, 0, sizeof(status));
    socklen_t length = sizeof(status);
    pthread_mutex_lock(&lock);
    int result = usrsctp_getsockopt(association->socket, IPPROTO_SCTP, SCTP_STATUS, &status, &length);
    pthread_mutex_unlock(&lock);
    // Unknown counts as needing them. Setting up or shutting down runs timers (INIT, COOKIE ECHO, SHUTDOWN), and so
    // does data not yet acknowledged (retransmission, zero-window probes).
    return result != 0 || status.sstat_state != SCTP_ESTABLISHED || status.sstat_unackdata > 0;
}

int csctp_take_writable(csctp_association *association) {
    pthread_mutex_lock(&lock);
    int writable = association->writable;
    association->writable = 0;
    pthread_mutex_unlock(&lock);
    return writable;
}

int csctp_reset_stream(csctp_association *association, uint16_t stream) {
    size_t size = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
    struct sctp_reset_streams *reset = calloc(1, size);
    if (reset == NULL) return -1;
    reset->srs_assoc_id = SCTP_ALL_ASSOC;
    reset->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    reset->srs_number_streams = 1;
    reset->srs_stream_list[0] = stream;
    pthread_mutex_lock(&lock);
    int result = usrsctp_setsockopt(association->socket, IPPROTO_SCTP, SCTP_RESET_STREAMS, reset, (socklen_t)size);
    pthread_mutex_unlock(&lock);
    free(reset);
    return result;
}

void csctp_tick(uint64_t now_ms) {
    pthread_once(&once, initialize);
    pthread_mutex_lock(&lock);
    if (!ticked || now_ms < last_tick_ms) {
        // The first tick, or a clock that went back (a test's new virtual clock): count from here.
        ticked = 1;
        last_tick_ms = now_ms;
    } else if (now_ms > last_tick_ms) {
        uint64_t elapsed = now_ms - last_tick_ms;
        last_tick_ms = now_ms;
        usrsctp_handle_timers(elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed);
    }
    pthread_mutex_unlock(&lock);
}

void csctp_shutdown(csctp_association *association) {
    pthread_mutex_lock(&lock);
    usrsctp_shutdown(association->socket, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
}
