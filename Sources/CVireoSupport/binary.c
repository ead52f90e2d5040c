#include "VireoBinary.h"

// Popcount through the processor's instruction where it has one (every x86-64 of the last
// decade; the baseline target compiles __builtin_popcountll to a table-free bit trick).

static inline float finishBinary(int kind, float rr, float factor, float centreDotR, float setSum,
                                 float querySum, float queryResidualSquared, float centreDotQuery) {
    float dot = factor * (2 * setSum - querySum);
    switch (kind) {
    case 0: return rr + queryResidualSquared - 2 * dot;
    case 2: return 0.5f * (rr + queryResidualSquared - 2 * dot);
    default: return -(dot + centreDotR + centreDotQuery);
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
        out[i] = finishBinary(kind, header[0], header[1], header[2], setSum, querySum,             \
                              queryResidualSquared, centreDotQuery);                               \
    }

#if defined(__x86_64__)
static int hasPopcnt = 0;

__attribute__((constructor)) static void detectPopcnt(void) {
    __builtin_cpu_init();
    hasPopcnt = __builtin_cpu_supports("popcnt");
}

__attribute__((target("popcnt")))
static void distancesPopcnt(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                            float querySum, float queryResidualSquared, float centreDotQuery,
                            const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                            size_t words, float *out) {
    BINARY_BODY
}
#endif

static void distancesPortable(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                              float querySum, float queryResidualSquared, float centreDotQuery,
                              const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                              size_t words, float *out) {
    BINARY_BODY
}

void vireo_distances_bin(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                         float querySum, float queryResidualSquared, float centreDotQuery,
                         const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                         size_t words, float *out) {
#if defined(__x86_64__)
    if (hasPopcnt) {
        distancesPopcnt(kind, planes, planeCount, low, step, querySum, queryResidualSquared, centreDotQuery,
                        base, strideBytes, ids, count, words, out);
        return;
    }
#endif
    distancesPortable(kind, planes, planeCount, low, step, querySum, queryResidualSquared, centreDotQuery,
                      base, strideBytes, ids, count, words, out);
}
