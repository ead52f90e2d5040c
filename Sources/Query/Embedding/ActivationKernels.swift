import CVireoSupport

/// The element-wise kernels of the MiniLM forward pass, in C (`activations.c`): the scalar
/// `erff` took a tenth of the forward pass (one call per intermediate activation, 9,216 a
/// token), and LayerNorm and softmax as Swift loops ran unoptimised in the debug builds the
/// tests use, about as long as the matrix products there. Plain float arithmetic with no
/// calls, compiled optimised even in debug builds. Checked against libm and Swift in the tests.
enum ActivationKernels {
    /// values[i] = e^(values[i] − shift) in place; returns their sum (softmax's denominator).
    static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        vireo_exp_shifted_f32(values, count, shift)
    }

    /// x·½(1 + erf(x/√2)) in place over `count` floats.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        vireo_gelu_f32(values, count)
    }

    /// Softmax of each of `rows` rows of `columns` floats in place, shifted by the row's maximum.
    static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        vireo_softmax_rows_f32(values, rows, columns)
    }

    /// LayerNorm of each row in place: (x − mean) / √(variance + ε) · scale + shift.
    static func layerNorm(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int, scale: [Float], shift: [Float], epsilon: Float) {
        vireo_layer_norm_f32(values, rows, width, scale, shift, epsilon)
    }

    /// target[i] += source[i].
    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        vireo_add_f32(target, source, count)
    }
}
