import CVireoSupport

/// GELU and softmax's exponentials over float arrays, in C (`activations.c`): the scalar `erff`
/// took a tenth of the forward pass (one call per intermediate activation, 9,216 a token);
/// these are plain vector arithmetic with no calls, compiled optimised even in debug builds.
/// Accuracy is checked against libm in the tests.
enum ActivationKernels {
    /// values[i] = e^(values[i] − shift) in place; returns their sum (softmax's denominator).
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        vireo_exp_shifted_f32(values, count, shift)
    }

    /// x·½(1 + erf(x/√2)) in place over `count` floats.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        vireo_gelu_f32(values, count)
    }
}
