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
// Two accumulators hide the FMA latency; the tail uses a masked load so no element is
// read past the end.
__attribute__((target("avx512f")))
static float l2sqAVX512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float dotAVX512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
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
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    float s = horizontalSumAVX(_mm256_add_ps(s0, s1));
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

__attribute__((target("avx2,fma")))
static float dotAVX2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = horizontalSumAVX(_mm256_add_ps(s0, s1));
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
// Sign-extends 32 int8 lanes to int16 and multiplies pairs into int32 (vpmaddwd).
__attribute__((target("avx2")))
static int32_t dotI8AVX2(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i va = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i vb = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        s = _mm256_add_epi32(s, _mm256_madd_epi16(va, vb));
    }
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
