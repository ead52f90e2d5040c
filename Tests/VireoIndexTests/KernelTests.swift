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

    static let batchDimensions = [1, 3, 16, 17, 63, 64, 65, 127, 128, 129, 384, 1000]

    /// The batched graph kernel gives, for every id, what the single-pair kernel gives,
    /// reading vectors at `base + id · stride` in any order (ids repeat, stride padded).
    @Test func batchFloatDistancesMatchSinglePairs() {
        for (i, d) in Self.batchDimensions.enumerated() {
            let rows = 40, stride = (d * 4 + 100) / 64 * 64 + 64
            let raw = UnsafeMutableRawPointer.allocate(byteCount: rows * stride, alignment: 64)
            defer { raw.deallocate() }
            let data = TestData.uniform(count: rows, dimension: d, seed: UInt64(i))
            for r in 0..<rows {
                TestData.row(data, r, d).withUnsafeBytes { (raw + r * stride).copyMemory(from: $0.baseAddress!, byteCount: 4 * d) }
            }
            let query = TestData.uniform(count: 1, dimension: d, seed: UInt64(i + 500))
            let ids: [UInt32] = [5, 0, 39, 5, 17, 2, 2, 30, 11]
            for kind: Int32 in [0, 1, 2] {
                var out = [Float](repeating: .nan, count: ids.count)
                vireo_distances_f32(kind, query, raw, stride, ids, ids.count, d, &out)
                for (j, id) in ids.enumerated() {
                    let v = (raw + Int(id) * stride).assumingMemoryBound(to: Float.self)
                    let expected = kind == 0 ? vireo_l2sq_f32(query, v, d)
                        : kind == 1 ? -vireo_dot_f32(query, v, d) : 1 - vireo_dot_f32(query, v, d)
                    #expect(out[j] == expected, "d \(d) kind \(kind) id \(id): \(out[j]) != \(expected)")
                }
            }
            var none: [Float] = []
            vireo_distances_f32(0, query, raw, stride, [], 0, d, &none)
        }
    }

    /// int8 batch distances at every level the processor has (VNNI, AVX-512BW, AVX2,
    /// scalar) equal the distance rebuilt from the exact integer dot product (a wrong
    /// integer sum would be off by at least scale², far beyond the tolerance).
    @Test func int8BatchIsExactAtEveryLevel() {
        var random = SplitMix64(seed: 11)
        #expect((0...3).contains(vireo_i8_kernel_level()))
        for d in Self.batchDimensions {
            let rows = 30, header = Int(VIREO_I8_HEADER_BYTES)
            let stride = (header + d + 63) / 64 * 64
            let raw = UnsafeMutableRawPointer.allocate(byteCount: rows * stride, alignment: 64)
            defer { raw.deallocate() }
            var codes: [[Int8]] = [], scales: [Float] = [], norms: [Float] = []
            for r in 0..<rows {
                // Extremes included: −127 and 127 exercise the unsigned bias of vpdpbusd.
                let c = (0..<d).map { j in j % 7 == 0 ? Int8(j % 2 == 0 ? 127 : -127) : Int8.random(in: -127...127, using: &random) }
                let scale = Float.random(in: 0.001...0.02, using: &random), norm = Float.random(in: 0...4, using: &random)
                let node = raw + r * stride
                node.storeBytes(of: scale, as: Float.self)
                node.storeBytes(of: norm, toByteOffset: 4, as: Float.self)
                node.storeBytes(of: c.reduce(Int32(0)) { $0 + Int32($1) }, toByteOffset: 8, as: Int32.self)
                node.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
                c.withUnsafeBytes { (node + header).copyMemory(from: $0.baseAddress!, byteCount: d) }
                codes.append(c); scales.append(scale); norms.append(norm)
            }
            let query = (0..<d).map { j in j % 5 == 0 ? Int8(-127) : Int8.random(in: -127...127, using: &random) }
            let biased = query.map { UInt8(Int($0) + 128) }
            let qScale: Float = 0.013, qNorm: Float = 1.5
            let ids: [UInt32] = [0, 29, 3, 3, 14, 7]
            for level: Int32 in [0, 1, 2, 3] {
                for kind: Int32 in [0, 1, 2] {
                    var out = [Float](repeating: .nan, count: ids.count)
                    vireo_distances_i8_at_level(level, kind, query, biased, qScale, qNorm, raw, stride, ids, ids.count, d, &out)
                    for (j, id) in ids.enumerated() {
                        let dot = zip(query, codes[Int(id)]).reduce(Int32(0)) { $0 + Int32($1.0) * Int32($1.1) }
                        let x = qScale * scales[Int(id)] * Float(dot)
                        let expected = kind == 0 ? max(0, qNorm + norms[Int(id)] - 2 * x) : kind == 1 ? -x : 1 - x
                        // The kernels may fuse the last multiply-add (FMA): one rounding apart.
                        #expect(abs(out[j] - expected) <= 1e-6 * max(1, abs(expected)), "level \(level) d \(d) kind \(kind) id \(id): \(out[j]) != \(expected)")
                    }
                }
            }
        }
    }

    @Test func cosineOfZeroVectorIsOne() {
        let zero = [Float](repeating: 0, count: 16), other = TestData.uniform(count: 1, dimension: 16, seed: 3)
        #expect(vireo_cosine_distance_f32(zero, other, 16) == 1)
    }
}
