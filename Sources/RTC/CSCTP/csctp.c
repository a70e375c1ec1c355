#include "csctp.h"

#include <string.h>

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

static uint32_t table[256];

// Filled when the program loads, before any thread can read it.
__attribute__((constructor)) static void fill_table(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        table[byte] = crc;
    }
}

static uint32_t crc32c_table(uint32_t crc, const uint8_t *data, size_t length) {
    while (length-- > 0) crc = table[(crc ^ *data++) & 0xFF] ^ (crc >> 8);
    return crc;
}

static uint32_t crc32c(uint32_t crc, const uint8_t *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_hardware(crc, data, length);
#endif
    return crc32c_table(crc, data, length);
}

uint32_t csctp_checksum(const uint8_t *packet, size_t length) {
    static const uint8_t zero[4] = {0};
    if (length < 12) return 0;
    uint32_t crc = crc32c(0xFFFFFFFFu, packet, 8);
    crc = crc32c(crc, zero, 4);
    crc = crc32c(crc, packet + 12, length - 12);
    return ~crc;
}
