#ifndef VIREO_KERNELS_H
#define VIREO_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Squared Euclidean distance between two float32 vectors of `count` elements.
float vireo_l2sq_f32(const float *a, const float *b, size_t count);

/// Inner product of two float32 vectors of `count` elements.
float vireo_dot_f32(const float *a, const float *b, size_t count);

/// Cosine distance 1 - a·b / (|a| |b|); 1 when either vector is all zeros.
float vireo_cosine_distance_f32(const float *a, const float *b, size_t count);

/// Inner product of two int8 vectors, accumulated exactly in 32 bits (count <= 2^17).
int32_t vireo_dot_i8(const int8_t *a, const int8_t *b, size_t count);

/// Scalar reference kernels: the definition the fast paths are tested against.
float vireo_l2sq_f32_scalar(const float *a, const float *b, size_t count);
float vireo_dot_f32_scalar(const float *a, const float *b, size_t count);

/// Which instruction set the kernels dispatched to: 2 = AVX-512, 1 = AVX2+FMA, 0 = scalar.
int vireo_kernel_level(void);

/// The kernels of one dispatch level (clamped to what the processor has), so tests can
/// check every path without changing the process-wide choice.
float vireo_l2sq_f32_at_level(int level, const float *a, const float *b, size_t count);
float vireo_dot_f32_at_level(int level, const float *a, const float *b, size_t count);

/// Distances from one query to `count` graph nodes whose float32 vectors lie at
/// `base + ids[i] * strideBytes`, into `out[i]`: `kind` 0 = squared L2, 1 = −dot,
/// 2 = 1 − dot. The whole next vectors are prefetched while one is computed, and no
/// branch depends on a distance, so the loads of several vectors overlap.
void vireo_distances_f32(int kind, const float *query, const void *base, size_t strideBytes,
                         const uint32_t *ids, size_t count, size_t dimension, float *out);

/// Layout of an int8-coded node at `base + id * strideBytes` (see HNSWGraph):
/// [scale f32][squared norm f32][sum of codes i32][4 bytes zero][codes × dimension].
enum { VIREO_I8_HEADER_BYTES = 16 };

/// Approximate distances from an int8-coded query (codes `query`, the same codes plus 128
/// as unsigned bytes in `queryBiased`, its scale and exact squared norm) to `count`
/// int8-coded nodes: the integer dot product is exact, so only the coding rounds.
/// `kind` as for vireo_distances_f32. AVX-512 VNNI (vpdpbusd) where present.
void vireo_distances_i8(int kind, const int8_t *query, const uint8_t *queryBiased, float queryScale,
                        float queryNormSquared, const void *base, size_t strideBytes,
                        const uint32_t *ids, size_t count, size_t dimension, float *out);

/// The int8 batch at one level (3 = AVX-512 VNNI, 2 = AVX-512BW, 1 = AVX2, 0 = scalar;
/// clamped to what the processor has), for tests.
void vireo_distances_i8_at_level(int level, int kind, const int8_t *query, const uint8_t *queryBiased,
                                 float queryScale, float queryNormSquared, const void *base,
                                 size_t strideBytes, const uint32_t *ids, size_t count,
                                 size_t dimension, float *out);

/// The level vireo_distances_i8 uses (3 = AVX-512 VNNI … 0 = scalar).
int vireo_i8_kernel_level(void);

/// Hints the processor to bring the cache lines of `bytes` bytes at `p` closer.
static inline void vireo_prefetch(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, 3);
}

/// How many of `count` (distance: float, id: uint32) pairs at `pairs`, sorted by distance,
/// have a distance <= `distance`: a binary search whose steps depend only on `count`, each
/// a conditional move rather than a branch (the comparisons of a graph search's candidates
/// are unpredictable; Swift's ternary compiled to a branch).
static inline size_t vireo_upper_bound_pairs(const void *pairs, size_t count, float distance) {
    const float *d = (const float *)pairs;  // the distance of pair i is d[2 i]
    size_t low = 0, length = count;
    while (length > 1) {
        size_t half = length >> 1;
        low = __builtin_unpredictable(d[2 * (low + half)] <= distance) ? low + half : low;
        length -= half;
    }
    return low + (count > 0 && d[2 * low] <= distance);
}

/// Atomic 32-bit loads and stores for graph links read by searches while inserts write
/// them. On x86 both compile to plain moves; they exist so the memory model (and the
/// thread sanitizer) see the publication order.
static inline uint32_t vireo_load_acquire_u32(const uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void vireo_store_release_u32(uint32_t *p, uint32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/// Atomic counter steps for the HNSW graph's level-0 in-link counts. The decrement
/// refuses to leave the count below 1 and says whether it happened, so two threads
/// pruning the last two links to a node cannot both drop theirs.
static inline void vireo_increment_u32(uint32_t *p) {
    __atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL);
}
static inline int vireo_decrement_above_one_u32(uint32_t *p) {
    uint32_t count = __atomic_load_n(p, __ATOMIC_ACQUIRE);
    while (count > 1) {
        if (__atomic_compare_exchange_n(p, &count, count - 1, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return 1;
    }
    return 0;
}

#endif

// Activations of the MiniLM forward pass over float32 arrays, in place (activations.c).

/// x·½(1 + erf(x/√2)) (BERT's "gelu"), erf by Abramowitz & Stegun 7.1.26.
void vireo_gelu_f32(float *values, size_t count);

/// values[i] = e^(values[i] − shift); returns their sum (softmax's denominator).
float vireo_exp_shifted_f32(float *values, size_t count, float shift);

/// Softmax of each of `rows` rows of `columns` floats in place, shifted by the row's maximum.
void vireo_softmax_rows_f32(float *values, size_t rows, size_t columns);

/// LayerNorm of each of `rows` rows of `width` floats in place:
/// (x − mean) / √(variance + epsilon) · scale + shift.
void vireo_layer_norm_f32(float *values, size_t rows, size_t width, const float *scale, const float *shift, float epsilon);

/// target[i] += source[i].
void vireo_add_f32(float *target, const float *source, size_t count);
