// SCTP's CRC32c (RFC 9260 Appendix A) in C: Swift cannot reach the SSE4.2 crc32 instruction, which makes the
// checksum a small fraction of a packet's cost.
#ifndef CSCTP_H
#define CSCTP_H

#include <stddef.h>
#include <stdint.h>

/// The value of the common header's checksum field (bytes 8-11) for `packet`, whose field is taken as zero, as a
/// host-order integer whose little-endian bytes go in the field.
uint32_t csctp_checksum(const uint8_t *packet, size_t length);

#endif
