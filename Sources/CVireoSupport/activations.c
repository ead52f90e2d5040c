// Activation kernels of the MiniLM forward pass. This target is compiled optimised in every
// configuration (Package.swift): written with Swift's SIMD types these ran lane by lane
// through generic code in debug builds, which made the tests' embeddings about a hundred
// times slower than release. Plain float arithmetic with no calls, so the loops vectorise.
#include "VireoKernels.h"
#include <stdint.h>
#include <math.h>
#include <string.h>

/// e^x for x in about [−87, 88]: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to
/// r⁷ (relative error below 1e-8 on that range), 2^k put in the exponent bits. k is rounded by
/// adding 1.5·2²³, which leaves it in the low mantissa bits.
static inline float expPolynomial(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float roundingShift = 12582912.0f;  // 1.5·2²³
    float shifted = x * 1.44269504f + roundingShift;
    float k = shifted - roundingShift;
    float r = x - k * 0.693359375f + k * 2.1219444e-4f;  // ln2 split in two for precision
    float series = r * (1.0f / 5040) + (1.0f / 720);
    series = series * r + (1.0f / 120);
    series = series * r + (1.0f / 24);
    series = series * r + (1.0f / 6);
    series = series * r + 0.5f;
    series = series * r + 1.0f;
    series = series * r + 1.0f;
    // shifted's bits are 0x4B40_0000 + k; the exponent field of 2^k is k + 127.
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t exponentBits = (int32_t)((uint32_t)(bits - (0x4B400000 - 127)) << 23);
    float scale;
    memcpy(&scale, &exponentBits, sizeof scale);
    return series * scale;
}

/// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd-extended to x < 0.
static inline float erfPolynomial(float x) {
    float magnitude = x < 0 ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * magnitude);
    float polynomial = t * 1.061405429f - 1.453152027f;
    polynomial = polynomial * t + 1.421413741f;
    polynomial = polynomial * t - 0.284496736f;
    polynomial = polynomial * t + 0.254829592f;
    float positive = 1.0f - polynomial * t * expPolynomial(-(magnitude * magnitude));
    return x < 0 ? -positive : positive;
}

void vireo_gelu_f32(float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        values[i] = 0.5f * x * (1.0f + erfPolynomial(x * 0.707106781f));
    }
}

float vireo_exp_shifted_f32(float *values, size_t count, float shift) {
    for (size_t i = 0; i < count; i++) values[i] = expPolynomial(values[i] - shift);
    float sum = 0;
    for (size_t i = 0; i < count; i++) sum += values[i];
    return sum;
}

void vireo_softmax_rows_f32(float *values, size_t rows, size_t columns) {
    for (size_t row = 0; row < rows; row++) {
        float *x = values + row * columns;
        float largest = -INFINITY;
        for (size_t i = 0; i < columns; i++) largest = x[i] > largest ? x[i] : largest;
        float inverse = 1.0f / vireo_exp_shifted_f32(x, columns, largest);
        for (size_t i = 0; i < columns; i++) x[i] *= inverse;
    }
}

void vireo_layer_norm_f32(float *values, size_t rows, size_t width, const float *scale, const float *shift, float epsilon) {
    for (size_t row = 0; row < rows; row++) {
        float *x = values + row * width;
        float sum = 0;
        for (size_t i = 0; i < width; i++) sum += x[i];
        float mean = sum / (float)width;
        float squares = 0;
        for (size_t i = 0; i < width; i++) squares += (x[i] - mean) * (x[i] - mean);
        float inverse = 1.0f / sqrtf(squares / (float)width + epsilon);
        for (size_t i = 0; i < width; i++) x[i] = (x[i] - mean) * inverse * scale[i] + shift[i];
    }
}

void vireo_add_f32(float *target, const float *source, size_t count) {
    for (size_t i = 0; i < count; i++) target[i] += source[i];
}
