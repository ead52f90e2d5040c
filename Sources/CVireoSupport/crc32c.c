// CRC32C (Castagnoli polynomial 0x82F63B78, reflected), as used for page and WAL
// checksums. The hardware path handles 8 bytes per instruction; the table path is
// the reference and the fallback for processors without SSE4.2.
#include "CVireoSupport.h"
#include <string.h>

static uint32_t table[256];
static int hasSSE42 = 0;

// Runs once at load time, so no thread ever sees a half-built table.
__attribute__((constructor)) static void buildTable(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    hasSSE42 = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

static uint32_t crcTable(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crcHardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#endif

uint32_t vireo_crc32c(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (hasSSE42) return crcHardware(crc, (const uint8_t *)data, length);
#endif
    return crcTable(crc, (const uint8_t *)data, length);
}
