// CRC32C (Castagnoli polynomial 0x82F63B78, reflected), as used for page and WAL
// checksums. The hardware path handles 8 bytes per instruction; the table path is
// the reference and the fallback for processors without SSE4.2.
#include "CVireoSupport.h"
#include <string.h>

static uint32_t table[256];
static int hasSSE42 = 0;

// The hardware path runs three streams over consecutive blocks of `interleaveBytes` at
// once (the instruction's latency is three times its throughput), then joins them:
// the CRC register is linear, so reg(A B) = shift(reg(A), |B|) ^ reg0(B), where shift
// appends |B| zero bytes. `shiftTable` does that for one block as four table lookups.
enum { interleaveBytes = 512 };
static uint32_t shiftTable[4][256];

// a * b modulo the polynomial, both reflected (bit 31 is x^0).
static uint32_t multiplyModP(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
        if (a & m) product ^= b;
        b = (b & 1) ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return product;
}

static uint32_t shiftBlock(uint32_t c) {
    return shiftTable[0][c & 0xFF] ^ shiftTable[1][(c >> 8) & 0xFF] ^ shiftTable[2][(c >> 16) & 0xFF] ^ shiftTable[3][c >> 24];
}

// Runs once at load time, so no thread ever sees a half-built table.
__attribute__((constructor)) static void buildTable(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
    // x^(8 * interleaveBytes): start from x^1 and square (x^(2^k)) for the bits of the count.
    uint32_t power = 1u << 31, square = 1u << 30;
    for (uint32_t bits = 8 * interleaveBytes; bits != 0; bits >>= 1) {
        if (bits & 1) power = multiplyModP(power, square);
        square = multiplyModP(square, square);
    }
    for (int byte = 0; byte < 4; byte++) {
        for (uint32_t i = 0; i < 256; i++) shiftTable[byte][i] = multiplyModP(i << (8 * byte), power);
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
    while (n >= 3 * interleaveBytes) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < interleaveBytes; i += 8) {
            uint64_t v0, v1, v2;
            memcpy(&v0, p + i, 8);
            memcpy(&v1, p + interleaveBytes + i, 8);
            memcpy(&v2, p + 2 * interleaveBytes + i, 8);
            c = __builtin_ia32_crc32di(c, v0);
            c1 = __builtin_ia32_crc32di(c1, v1);
            c2 = __builtin_ia32_crc32di(c2, v2);
        }
        c = shiftBlock(shiftBlock((uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * interleaveBytes;
        n -= 3 * interleaveBytes;
    }
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
