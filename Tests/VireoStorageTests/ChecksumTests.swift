import CVireoSupport
import Testing
@testable import VireoStorage

/// CRC32C (crc32c.c): the hardware path runs three interleaved streams over long inputs
/// and joins them; every length and starting value must give the bitwise definition's CRC.
@Suite("CRC32C checksums")
struct ChecksumTests {
    /// CRC32C bit by bit, straight from the definition (reflected polynomial 0x82F63B78).
    static func reference(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        var register = ~crc
        for byte in bytes {
            register ^= UInt32(byte)
            for _ in 0..<8 { register = register & 1 == 1 ? (register >> 1) ^ 0x82F6_3B78 : register >> 1 }
        }
        return ~register
    }

    @Test("the check value of \"123456789\" is E3069283")
    func checkValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { vireo_crc32c(0, $0.baseAddress!, $0.count) } == 0xE306_9283)
    }

    @Test("every length, offset and starting value matches the bitwise definition, across the interleaved blocks")
    func matchesReference() {
        var random = SplitMix64(seed: 0xC3C3)
        let bytes = (0..<12_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let lengths = Array(0..<40) + [1_535, 1_536, 1_537, 3_071, 3_072, 3_080, 4_608, 8_188, 8_192, 11_990]
        for length in lengths {
            for offset in [0, 1, 5] where offset + length <= bytes.count {
                let seed = UInt32(truncatingIfNeeded: length &* 2_654_435_761)
                let expected = Self.reference(seed, bytes[offset..<(offset + length)])
                let actual = bytes.withUnsafeBytes { vireo_crc32c(seed, $0.baseAddress! + offset, length) }
                #expect(actual == expected, "length \(length), offset \(offset)")
            }
        }
    }

    @Test("a page checksum computed in two pieces equals the one over the whole page")
    func chaining() {
        var random = SplitMix64(seed: 0x5EA1)
        let page = (0..<StorageFormat.pageSizeBytes).map { _ in UInt8.random(in: 0...255, using: &random) }
        page.withUnsafeBytes { bytes in
            let whole = vireo_crc32c(0, bytes.baseAddress!, bytes.count)
            for cut in [1, 700, 1_536, 4_000, bytes.count - 3] {
                let first = vireo_crc32c(0, bytes.baseAddress!, cut)
                #expect(vireo_crc32c(first, bytes.baseAddress! + cut, bytes.count - cut) == whole, "cut at \(cut)")
            }
        }
    }
}

/// Page buffers are reused (BufferPool.swift, `PageBuffers`): a freed buffer of the
/// current size comes back; one of another size does not mix in.
@Suite("Page buffer reuse")
struct PageBufferTests {
    @Test("a freed page buffer is handed out again, and other sizes are not kept with it")
    func reuse() {
        let buffers = PageBuffers()
        let first = buffers.take(8_192)
        buffers.give(first, 8_192)
        #expect(buffers.keptCount == 1)
        let second = buffers.take(8_192)
        #expect(second == first, "the kept buffer comes back")
        #expect(buffers.keptCount == 0)
        buffers.give(second, 8_192)
        buffers.give(UnsafeMutableRawPointer.allocate(byteCount: 4_096, alignment: 64), 4_096)
        #expect(buffers.keptCount == 1, "a buffer of another size than those kept goes back to the system")
        let small = buffers.take(4_096)
        #expect(small != second, "a 4 KiB request never gets the kept 8 KiB buffer")
        #expect(buffers.keptCount == 1)
        small.deallocate()
    }
}
