// Distance kernels over float32 (and int8 for quantized vectors). Each has an AVX-512,
// an AVX2+FMA and a scalar path; the path is chosen once at load time from the
// processor's features, so a call costs one predictable branch.
#include "VireoKernels.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Written once by the load-time constructor, read-only afterwards.
static int detectedLevel = 0;

__attribute__((constructor)) static void detectKernelLevel(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) detectedLevel = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) detectedLevel = 1;
#endif
}

int vireo_kernel_level(void) { return detectedLevel; }

static int clampLevel(int level) {
    if (level < 0) return 0;
    return level > detectedLevel ? detectedLevel : level;
}

float vireo_l2sq_f32_scalar(const float *a, const float *b, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

float vireo_dot_f32_scalar(const float *a, const float *b, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

#if defined(__x86_64__)
// Four accumulators: a 384-d vector is 24 FMAs, and with two chains of 12 their 4-cycle
// latency, not the loads, set the pace of a distance once the vector is in cache. The tail
// uses a masked load so no element is read past the end.
__attribute__((target("avx512f")))
static float l2sqAVX512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
        __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
        s2 = _mm512_fmadd_ps(d2, d2, s2);
        s3 = _mm512_fmadd_ps(d3, d3, s3);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s1 = _mm512_fmadd_ps(d, d, s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx512f")))
static float dotAVX512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx2,fma")))
static float horizontalSumAVX(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma")))
static float l2sqAVX2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = horizontalSumAVX(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

__attribute__((target("avx2,fma")))
static float dotAVX2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = horizontalSumAVX(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#endif

float vireo_l2sq_f32_at_level(int requested, const float *a, const float *b, size_t n) {
    int level = clampLevel(requested);
#if defined(__x86_64__)
    if (level == 2) return l2sqAVX512(a, b, n);
    if (level == 1) return l2sqAVX2(a, b, n);
#endif
    return vireo_l2sq_f32_scalar(a, b, n);
}

float vireo_dot_f32_at_level(int requested, const float *a, const float *b, size_t n) {
    int level = clampLevel(requested);
#if defined(__x86_64__)
    if (level == 2) return dotAVX512(a, b, n);
    if (level == 1) return dotAVX2(a, b, n);
#endif
    return vireo_dot_f32_scalar(a, b, n);
}

float vireo_l2sq_f32(const float *a, const float *b, size_t n) {
#if defined(__x86_64__)
    if (detectedLevel == 2) return l2sqAVX512(a, b, n);
    if (detectedLevel == 1) return l2sqAVX2(a, b, n);
#endif
    return vireo_l2sq_f32_scalar(a, b, n);
}

float vireo_dot_f32(const float *a, const float *b, size_t n) {
#if defined(__x86_64__)
    if (detectedLevel == 2) return dotAVX512(a, b, n);
    if (detectedLevel == 1) return dotAVX2(a, b, n);
#endif
    return vireo_dot_f32_scalar(a, b, n);
}

float vireo_cosine_distance_f32(const float *a, const float *b, size_t n) {
    float ab = vireo_dot_f32(a, b, n);
    float aa = vireo_dot_f32(a, a, n), bb = vireo_dot_f32(b, b, n);
    if (aa == 0 || bb == 0) return 1.0f;
    float c = ab / sqrtf(aa * bb);
    if (c > 1) c = 1;
    if (c < -1) c = -1;
    return 1.0f - c;
}

#if defined(__x86_64__)
// Codes lie in −127…127, so |a|·b fits vpmaddubsw's pairs: 2·127·127 < 32767.
// vpsignb moves a's sign onto b, vpmaddubsw multiplies |a| (unsigned) by it and adds pairs
// into int16, vpmaddwd by ones widens to int32: 32 bytes in three instructions.
__attribute__((target("avx2")))
static int32_t dotI8AVX2(const int8_t *a, const int8_t *b, size_t n) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + i + 32));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(b + i)), a0));
        __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(a1), _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(b + i + 32)), a1));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(p1, ones));
    }
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(b + i)), a0));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i va = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(va, vb));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i lo = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    lo = _mm_hadd_epi32(lo, lo);
    lo = _mm_hadd_epi32(lo, lo);
    int32_t total = _mm_cvtsi128_si32(lo);
    for (; i < n; i++) total += (int32_t)a[i] * (int32_t)b[i];
    return total;
}
#endif

int32_t vireo_dot_i8(const int8_t *a, const int8_t *b, size_t n) {
#if defined(__x86_64__)
    if (detectedLevel >= 1) return dotI8AVX2(a, b, n);
#endif
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

// ---- Batched graph-search distances -------------------------------------------------
//
// A graph hop evaluates the ~20 fresh neighbours of one node. The vectors are scattered in
// memory, so the time goes to cache misses, not arithmetic (perf: 90% of the single-pair
// kernel's samples sat on its loads). Computing the whole batch in one loop, with the
// next vectors prefetched in full while one is summed, keeps several misses in flight.

static int detectedI8Level = 0;

__attribute__((constructor)) static void detectI8Level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) detectedI8Level = 3;
    else if (__builtin_cpu_supports("avx512bw")) detectedI8Level = 2;
    else if (__builtin_cpu_supports("avx2")) detectedI8Level = 1;
#endif
}

int vireo_i8_kernel_level(void) { return detectedI8Level; }

// How many whole vectors ahead the batch loops prefetch. Measured on 100k × 384 (ef 40
// and 160): 2 beat 1, 3 and 4; searchLayer adds one line of each fresh neighbour while it
// scans the links (two lines, or whole vectors, filled the line-fill buffers and stalled).
enum { PREFETCH_AHEAD = 2 };

static inline void prefetchBytes(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}

static inline float finishDistance(int kind, float dotOrL2) {
    if (kind == 0) return dotOrL2;
    if (kind == 1) return -dotOrL2;
    return 1.0f - dotOrL2;
}

#define BATCH_LOOP(L2, DOT)                                                                   \
    const char *b = (const char *)base;                                                       \
    size_t bytes = dimension * sizeof(float);                                                 \
    for (size_t i = 0; i < count && i < PREFETCH_AHEAD; i++)                                  \
        prefetchBytes(b + (size_t)ids[i] * strideBytes, bytes);                               \
    for (size_t i = 0; i < count; i++) {                                                      \
        if (i + PREFETCH_AHEAD < count)                                                       \
            prefetchBytes(b + (size_t)ids[i + PREFETCH_AHEAD] * strideBytes, bytes);          \
        const float *v = (const float *)(b + (size_t)ids[i] * strideBytes);                   \
        out[i] = kind == 0 ? L2(query, v, dimension) : finishDistance(kind, DOT(query, v, dimension)); \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void distancesF32AVX512(int kind, const float *query, const void *base, size_t strideBytes,
                               const uint32_t *ids, size_t count, size_t dimension, float *out) {
    BATCH_LOOP(l2sqAVX512, dotAVX512)
}

__attribute__((target("avx2,fma")))
static void distancesF32AVX2(int kind, const float *query, const void *base, size_t strideBytes,
                             const uint32_t *ids, size_t count, size_t dimension, float *out) {
    BATCH_LOOP(l2sqAVX2, dotAVX2)
}
#endif

static void distancesF32Scalar(int kind, const float *query, const void *base, size_t strideBytes,
                               const uint32_t *ids, size_t count, size_t dimension, float *out) {
    BATCH_LOOP(vireo_l2sq_f32_scalar, vireo_dot_f32_scalar)
}

void vireo_distances_f32(int kind, const float *query, const void *base, size_t strideBytes,
                         const uint32_t *ids, size_t count, size_t dimension, float *out) {
#if defined(__x86_64__)
    if (detectedLevel == 2) { distancesF32AVX512(kind, query, base, strideBytes, ids, count, dimension, out); return; }
    if (detectedLevel == 1) { distancesF32AVX2(kind, query, base, strideBytes, ids, count, dimension, out); return; }
#endif
    distancesF32Scalar(kind, query, base, strideBytes, ids, count, dimension, out);
}

// int8: the dot product of codes is exact in int32; the distance is rebuilt from it with
// both scales (a·b ≈ sₐ s_b Σ cₐ c_b) and, for L2, both exact squared norms.
static inline float i8Distance(int kind, int32_t dot, float qScale, float qNorm, const char *node) {
    float scale, norm;
    __builtin_memcpy(&scale, node, 4);
    __builtin_memcpy(&norm, node + 4, 4);
    float d = qScale * scale * (float)dot;
    if (kind == 0) { float v = qNorm + norm - 2 * d; return v > 0 ? v : 0; }
    return kind == 1 ? -d : 1.0f - d;
}

static int32_t dotI8Scalar(const int8_t *a, const int8_t *b, size_t n) {
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

#define I8_LOOP(DOT_EXPR)                                                                     \
    const char *b = (const char *)base;                                                       \
    size_t bytes = VIREO_I8_HEADER_BYTES + dimension;                                         \
    for (size_t i = 0; i < count && i < PREFETCH_AHEAD; i++)                                  \
        prefetchBytes(b + (size_t)ids[i] * strideBytes, bytes);                               \
    for (size_t i = 0; i < count; i++) {                                                      \
        if (i + PREFETCH_AHEAD < count)                                                       \
            prefetchBytes(b + (size_t)ids[i + PREFETCH_AHEAD] * strideBytes, bytes);          \
        const char *node = b + (size_t)ids[i] * strideBytes;                                  \
        const int8_t *codes = (const int8_t *)(node + VIREO_I8_HEADER_BYTES);                 \
        int32_t dot = DOT_EXPR;                                                               \
        out[i] = i8Distance(kind, dot, queryScale, queryNormSquared, node);                   \
    }

#if defined(__x86_64__)
// vpdpbusd multiplies unsigned by signed bytes: with u = q + 128,
// Σ u·c = Σ q·c + 128 Σ c, and Σ c is stored in each node's header.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t dotI8VNNI(const uint8_t *u, const int8_t *c, size_t n, int32_t codeSum) {
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512(u + i), _mm512_loadu_si512(c + i));
        s1 = _mm512_dpbusd_epi32(s1, _mm512_loadu_si512(u + i + 64), _mm512_loadu_si512(c + i + 64));
    }
    for (; i + 64 <= n; i += 64)
        s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512(u + i), _mm512_loadu_si512(c + i));
    if (i < n) {
        __mmask64 m = (__mmask64)((~0ULL) >> (64 - (n - i)));
        s0 = _mm512_dpbusd_epi32(s0, _mm512_maskz_loadu_epi8(m, u + i), _mm512_maskz_loadu_epi8(m, c + i));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1)) - 128 * codeSum;
}

// Without VNNI: sign-extend 32 bytes to int16 and multiply-add pairs (vpmaddwd).
__attribute__((target("avx512f,avx512bw")))
static int32_t dotI8AVX512BW(const int8_t *a, const int8_t *b, size_t n) {
    __m512i s = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i va = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i)));
        __m512i vb = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(b + i)));
        s = _mm512_add_epi32(s, _mm512_madd_epi16(va, vb));
    }
    int32_t total = _mm512_reduce_add_epi32(s);
    for (; i < n; i++) total += (int32_t)a[i] * (int32_t)b[i];
    return total;
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void distancesI8VNNI(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                            float queryNormSquared, const void *base, size_t strideBytes,
                            const uint32_t *ids, size_t count, size_t dimension, float *out) {
    (void)query;
    int32_t codeSum;
    (void)codeSum;
    I8_LOOP((__builtin_memcpy(&codeSum, node + 8, 4), dotI8VNNI(queryBiased, codes, dimension, codeSum)))
}

__attribute__((target("avx512f,avx512bw")))
static void distancesI8AVX512BW(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                                float queryNormSquared, const void *base, size_t strideBytes,
                                const uint32_t *ids, size_t count, size_t dimension, float *out) {
    (void)queryBiased;
    I8_LOOP(dotI8AVX512BW(query, codes, dimension))
}

__attribute__((target("avx2")))
static void distancesI8AVX2(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                            float queryNormSquared, const void *base, size_t strideBytes,
                            const uint32_t *ids, size_t count, size_t dimension, float *out) {
    (void)queryBiased;
    I8_LOOP(dotI8AVX2(query, codes, dimension))
}
#endif

static void distancesI8Scalar(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                              float queryNormSquared, const void *base, size_t strideBytes,
                              const uint32_t *ids, size_t count, size_t dimension, float *out) {
    (void)queryBiased;
    I8_LOOP(dotI8Scalar(query, codes, dimension))
}

void vireo_distances_i8_at_level(int level, int kind, const int8_t *query, const uint8_t *queryBiased,
                                 float queryScale, float queryNormSquared, const void *base,
                                 size_t strideBytes, const uint32_t *ids, size_t count,
                                 size_t dimension, float *out) {
    if (level > detectedI8Level) level = detectedI8Level;
#if defined(__x86_64__)
    switch (level) {
    case 3: distancesI8VNNI(kind, query, queryBiased, queryScale, queryNormSquared, base, strideBytes, ids, count, dimension, out); return;
    case 2: distancesI8AVX512BW(kind, query, queryBiased, queryScale, queryNormSquared, base, strideBytes, ids, count, dimension, out); return;
    case 1: distancesI8AVX2(kind, query, queryBiased, queryScale, queryNormSquared, base, strideBytes, ids, count, dimension, out); return;
    default: break;
    }
#endif
    distancesI8Scalar(kind, query, queryBiased, queryScale, queryNormSquared, base, strideBytes, ids, count, dimension, out);
}

void vireo_distances_i8(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                        float queryNormSquared, const void *base, size_t strideBytes,
                        const uint32_t *ids, size_t count, size_t dimension, float *out) {
    vireo_distances_i8_at_level(detectedI8Level, kind, query, queryBiased, queryScale, queryNormSquared,
                                base, strideBytes, ids, count, dimension, out);
}
