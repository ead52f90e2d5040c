#include "VireoBinary.h"

// Popcount through the processor's instruction where it has one (every x86-64 of the last
// decade; the baseline target compiles __builtin_popcountll to a table-free bit trick).

static inline float finishBinary(int kind, const float *header, float setSum, float querySum, float centreTerm) {
    float dot = header[1] * (2 * setSum - querySum) + header[2];
    switch (kind) {
    case 0: return header[0] + centreTerm - 2 * dot;
    case 2: return 0.5f * (header[0] + centreTerm - 2 * dot);
    default: return -(dot + header[5] + centreTerm);
    }
}

#define BINARY_BODY                                                                               \
    for (size_t i = 0; i < count; i++) {                                                          \
        if (i + 2 < count) __builtin_prefetch((const char *)base + (size_t)ids[i + 2] * strideBytes, 0, 3); \
        const char *node = (const char *)base + (size_t)ids[i] * strideBytes;                     \
        const float *header = (const float *)node;                                                \
        const uint64_t *bits = (const uint64_t *)(node + VIREO_BIN_HEADER_BYTES);                 \
        uint64_t weighted = 0;                                                                     \
        for (size_t j = 0; j < planeCount; j++) {                                                  \
            const uint64_t *plane = planes + j * words;                                            \
            uint64_t c = 0;                                                                        \
            for (size_t w = 0; w < words; w++) c += (uint64_t)__builtin_popcountll(bits[w] & plane[w]); \
            weighted += c << j;                                                                    \
        }                                                                                          \
        uint32_t set = *(const uint32_t *)(node + 12);                                             \
        float setSum = low * (float)set + step * (float)weighted;                                  \
        uint32_t centre = *(const uint32_t *)(node + 16);                                          \
        out[i] = finishBinary(kind, header, setSum, querySum, centreTable[centre]);                \
    }

#if defined(__x86_64__)
static int hasPopcnt = 0;

__attribute__((constructor)) static void detectPopcnt(void) {
    __builtin_cpu_init();
    hasPopcnt = __builtin_cpu_supports("popcnt");
}

__attribute__((target("popcnt")))
static void distancesPopcnt(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                            float querySum, const float *centreTable,
                            const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                            size_t words, float *out) {
    BINARY_BODY
}
#endif

static void distancesPortable(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                              float querySum, const float *centreTable,
                              const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                              size_t words, float *out) {
    BINARY_BODY
}

void vireo_distances_bin(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                         float querySum, const float *centreTable,
                         const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                         size_t words, float *out) {
#if defined(__x86_64__)
    if (hasPopcnt) {
        distancesPopcnt(kind, planes, planeCount, low, step, querySum, centreTable,
                        base, strideBytes, ids, count, words, out);
        return;
    }
#endif
    distancesPortable(kind, planes, planeCount, low, step, querySum, centreTable,
                      base, strideBytes, ids, count, words, out);
}
