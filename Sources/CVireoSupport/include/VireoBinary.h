#ifndef VIREO_BINARY_H
#define VIREO_BINARY_H

#include <stddef.h>
#include <stdint.h>

/// Layout of a 1-bit-coded node at `base + id * strideBytes` (see HNSWGraph, BinaryQuantizer):
/// [‖r‖² f32][f = ‖r‖²/‖r‖₁ f32][b = f · (Σ cᵢ − 2 Σ_set cᵢ) f32][bits set u32][centre k u32]
/// [⟨r, c⟩ f32][8 bytes zero][bits: u64 × words], where r = x − c is the vector minus its
/// nearest centre c (number k of the index's centres) and bit i is set when rᵢ > 0.
enum { VIREO_BIN_HEADER_BYTES = 32 };

/// Estimated distances from a query q to `count` 1-bit-coded nodes (RaBitQ's estimator
/// without the rotation): q is kept as `planeCount` bit planes of an unsigned scalar code u
/// (q ≈ low + step · u, plane j holding bit j of every uᵢ), so Σ over a node's set bits of qᵢ
/// is low · bits set + step · Σⱼ 2ʲ popcount(bits & planeⱼ), and `querySum` is Σ qᵢ coded.
/// ⟨r, q − c⟩ ≈ f · (2 Σ_set (q − c)ᵢ − Σ (q − c)ᵢ) = f · (2 Σ_set qᵢ − Σ qᵢ) + b; then `kind`
/// 0 = squared L2 ‖r‖² + ‖q − c‖² − 2⟨r, q − c⟩, 2 = 1 − dot (half of that, for unit vectors),
/// 1 = −dot −(⟨r, q − c⟩ + ⟨r, c⟩ + ⟨c, q⟩). `centreTable[k]` is ‖q − c_k‖² (kinds 0, 2)
/// or ⟨c_k, q⟩ (kind 1).
void vireo_distances_bin(int kind, const uint64_t *planes, size_t planeCount, float low, float step,
                         float querySum, const float *centreTable,
                         const void *base, size_t strideBytes, const uint32_t *ids, size_t count,
                         size_t words, float *out);

#endif
