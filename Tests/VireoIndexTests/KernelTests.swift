import CVireoSupport
import Testing
import VireoStorage
@testable import VireoIndex

struct KernelTests {
    static let dimensions = [1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 128, 384, 768, 1536]

    /// Each dispatch level (scalar, AVX2+FMA, AVX-512 where present) against the scalar
    /// reference computed in double precision.
    @Test func kernelsMatchScalarReferenceAtEveryLevel() {
        for level: Int32 in [0, 1, 2] {
            for (i, d) in Self.dimensions.enumerated() {
                let a = TestData.uniform(count: 1, dimension: d, seed: UInt64(i))
                let b = TestData.uniform(count: 1, dimension: d, seed: UInt64(i + 100))
                var l2 = 0.0, dot = 0.0, aa = 0.0, bb = 0.0
                for j in 0..<d {
                    l2 += Double(a[j] - b[j]) * Double(a[j] - b[j])
                    dot += Double(a[j]) * Double(b[j])
                    aa += Double(a[j] * a[j]); bb += Double(b[j] * b[j])
                }
                let cosine = 1 - dot / (aa * bb).squareRoot()
                let gotL2 = Double(vireo_l2sq_f32_at_level(level, a, b, d))
                let gotDot = Double(vireo_dot_f32_at_level(level, a, b, d))
                let gotCosine = Double(vireo_cosine_distance_f32(a, b, d))
                let tolerance = 1e-4 * Double(d).squareRoot() + 1e-5
                #expect(abs(gotL2 - l2) <= tolerance * max(1, l2), "level \(level) d \(d): l2 expected \(l2), got \(gotL2)")
                #expect(abs(gotDot - dot) <= tolerance * max(1, abs(dot)) + 1e-4, "level \(level) d \(d): dot expected \(dot), got \(gotDot)")
                #expect(abs(gotCosine - cosine) <= 1e-4, "level \(level) d \(d): cosine expected \(cosine), got \(gotCosine)")
            }
        }
    }

    @Test func int8DotIsExact() {
        var random = SplitMix64(seed: 7)
        for d in Self.dimensions {
            let a = (0..<d).map { _ in Int8.random(in: -127...127, using: &random) }
            let b = (0..<d).map { _ in Int8.random(in: -127...127, using: &random) }
            let expected = zip(a, b).reduce(Int32(0)) { $0 + Int32($1.0) * Int32($1.1) }
            let got = vireo_dot_i8(a, b, d)
            #expect(got == expected, "d \(d): expected \(expected), got \(got)")
        }
    }

    @Test func cosineOfZeroVectorIsOne() {
        let zero = [Float](repeating: 0, count: 16), other = TestData.uniform(count: 1, dimension: 16, seed: 3)
        #expect(vireo_cosine_distance_f32(zero, other, 16) == 1)
    }
}
