#ifndef VIREO_BINARY_H
#define VIREO_BINARY_H

#include <stddef.h>
#include <stdint.h>

/// Layout of a 1-bit-coded node at `base + id * strideBytes` (see HNSWGraph, BinaryQuantizer):
/// [‖r‖² f32][‖r‖²/‖r‖₁ f32][⟨r, c⟩ f32][bits set u32][bits: u64 × words], where r = x − c is
/// the vector minus the index's centre c and bit i is set when rᵢ > 0.
enum { VIREO_BIN_HEADER_BYTES = 16 };

/// Estimated distances from a query to `count` 1-bit-coded nodes (RaBitQ's estimator
/// without the rotation): the query's residual q − c is kept as `planeCount` bit planes of
/// an unsigned scalar code u (q − c ≈ low + step · u, plane j holding bit j of every uᵢ),
/// so Σ over a node's set bits of (q − c)ᵢ is low · bits set + step · Σⱼ 2ʲ popcount(bits & planeⱼ).
/// ⟨r, q − c⟩ ≈ ‖r‖²/‖r‖₁ · (2 Σ_set (q − c)ᵢ − Σ (q − c)ᵢ), then `kind` 0 = squared L2
/// ‖r‖² + ‖q − c‖² − 2⟨r, q − c⟩, 2 = 1 − dot (half of that, for unit vectors), 1 = −dot
/// −(⟨r, q − c⟩ + ⟨r, c⟩ + ⟨c, q⟩). `querySum` is Σ (q − c)ᵢ over the coded query.
void vireo_distances_bin(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                         float querySum, float queryResidualSquared, float centreDotQuery,
                         const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                         size_t words, float *out);

#endif
