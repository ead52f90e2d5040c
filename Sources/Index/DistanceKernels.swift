import CVireoSupport

/// Distance kernels over contiguous float32 vectors. They dispatch once, at load time,
/// to AVX-512, AVX2+FMA or scalar code (see `Sources/CVireoSupport/kernels.c`).
public enum DistanceKernels {
    /// Squared Euclidean distance of `count` elements.
    @inline(__always)
    public static func l2Squared(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        vireo_l2sq_f32(a, b, count)
    }

    /// Inner product of `count` elements.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        vireo_dot_f32(a, b, count)
    }

    /// Cosine distance 1 − cos(a, b); 1 when either vector is all zeros.
    @inline(__always)
    public static func cosineDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        vireo_cosine_distance_f32(a, b, count)
    }

    /// The instruction set in use: 2 = AVX-512, 1 = AVX2+FMA, 0 = scalar.
    public static var level: Int { Int(vireo_kernel_level()) }
}
